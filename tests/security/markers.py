"""Recognisable patient data for leak tests: every value is unique, so finding one of them in a
log line, a broker message or a URL proves that a piece of health data went there."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from journals import services
from journals.models import PainEntry, UseEntry
from patients.models import Clinic, User
from tests.factories import PatientFactory

MARK = "Zq7x"
NAME = f"Marker Name {MARK}"
EMAIL = f"marker.{MARK.lower()}@example.org"
PAIN_NOTE = f"Marker pain note {MARK}"
USE_NOTE = f"Marker use note {MARK}"
PRODUCT = f"Marker Product {MARK}"
SLEEP_NOTE = f"Marker sleep note {MARK}"
REVIEW_NOTE = f"Marker review note {MARK}"
FLAG_NOTE = f"Marker flag note {MARK}"
INVITED = f"invited.{MARK.lower()}@example.org"
ALL = (NAME, EMAIL, PAIN_NOTE, USE_NOTE, PRODUCT, SLEEP_NOTE, REVIEW_NOTE, FLAG_NOTE, INVITED)


def found_in(text: str) -> list[str]:
    """The markers in ``text`` (and the mark itself, which catches a partial leak)."""
    lowered = text.lower()
    return [marker for marker in (*ALL, MARK) if marker.lower() in lowered]


def marked_patient(clinic: Clinic) -> User:
    return PatientFactory(email=EMAIL, display_name=NAME, clinic=clinic, timezone="Europe/Berlin")


def pain_entry(patient: User, **values: Any) -> PainEntry:
    entry, _ = services.entry_create(
        patient=patient,
        model=PainEntry,
        data={
            "recorded_at": timezone.now() - timedelta(hours=1),
            "intensity": 9,
            "locations": ["lower_back"],
            "note": PAIN_NOTE,
            **values,
        },
    )
    return entry


def use_entry(patient: User, **values: Any) -> UseEntry:
    entry, _ = services.entry_create(
        patient=patient,
        model=UseEntry,
        data={
            "taken_at": timezone.now() - timedelta(minutes=50),
            "substance": "kratom",
            "amount": Decimal("12"),
            "unit": "g",
            "form": "powder",
            "product": PRODUCT,
            "reason": "pain",
            "note": USE_NOTE,
            **values,
        },
    )
    return entry
