"""Journal test helpers: the frozen clock's instant, and valid request bodies per kind.

The clock stands at 2026-04-02 12:00 UTC (14:00 in Berlin, after the spring DST change
of 2026-03-29), so every moment used below lies in the past unless a test says otherwise.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from journals.models import JournalEntry, PainEntry, PegAssessment, SleepEntry, UseEntry
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)

NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")

KINDS = ("pain-entries", "peg-assessments", "sleep-entries", "use-entries")
MODELS: dict[str, type[JournalEntry]] = {
    "pain-entries": PainEntry,
    "peg-assessments": PegAssessment,
    "sleep-entries": SleepEntry,
    "use-entries": UseEntry,
}


def own_url(kind: str, entry_id: object = None) -> str:
    base = f"/api/v1/{kind}/"
    return base if entry_id is None else f"{base}{entry_id}/"


def patient_url(patient_id: object, kind: str, entry_id: object = None) -> str:
    base = f"/api/v1/patients/{patient_id}/{kind}/"
    return base if entry_id is None else f"{base}{entry_id}/"


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def pain_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "recorded_at": local(date(2026, 4, 1), 20, 0).isoformat(),
        "intensity": 6,
        "locations": ["lower_back", "knees"],
        "note": "Worse after gardening.",
    }
    return {**body, **overrides}


def peg_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "recorded_at": local(date(2026, 4, 1), 20, 0).isoformat(),
        "pain_average": 7,
        "enjoyment_interference": 5,
        "activity_interference": 4,
    }
    return {**body, **overrides}


def sleep_times(night_of: date, zone: ZoneInfo = BERLIN) -> dict[str, datetime]:
    """The known night: in bed 22:30, lights out 23:00, final wake 06:30, up 07:00 (local)."""
    morning = night_of + timedelta(days=1)
    return {
        "bedtime": local(night_of, 22, 30, zone),
        "lights_out_at": local(night_of, 23, 0, zone),
        "final_wake_at": local(morning, 6, 30, zone),
        "rise_at": local(morning, 7, 0, zone),
    }


def sleep_body(
    night_of: date = date(2026, 3, 1), zone: ZoneInfo = BERLIN, **overrides: Any
) -> dict[str, Any]:
    """With SOL 20 and WASO 40: TIB 510 min, TST 390 min, SE 76.5 %."""
    body: dict[str, Any] = {
        "night_of": night_of.isoformat(),
        **{field: value.isoformat() for field, value in sleep_times(night_of, zone).items()},
        "sleep_onset_latency_min": 20,
        "awakenings": 2,
        "wake_after_sleep_onset_min": 40,
        "quality": 3,
        "note": "Neighbours' party.",
    }
    return {**body, **overrides}


def use_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "taken_at": local(date(2026, 4, 1), 21, 0).isoformat(),
        "substance": "kratom",
        "amount": "3.5",
        "unit": "g",
        "form": "powder",
        "mixed_with": "warm_water",
        "product": "Red Bali",
        "reason": "pain",
        "note": "",
    }
    return {**body, **overrides}


BODIES = {
    "pain-entries": pain_body,
    "peg-assessments": peg_body,
    "sleep-entries": sleep_body,
    "use-entries": use_body,
}


def valid_body(kind: str, **overrides: Any) -> dict[str, Any]:
    builder: Any = BODIES[kind]
    body: dict[str, Any] = builder(**overrides)
    return body


def parse_dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def make_entry(kind: str, patient: Any, day: date, hour: int = 20, minute: int = 0) -> Any:
    """An entry at a local time of ``day`` in the patient's zone (sleep: the night of ``day``)."""
    zone = patient.patient_profile.zone
    when = local(day, hour, minute, zone)
    if kind == "pain-entries":
        return PainEntryFactory(patient=patient, recorded_at=when)
    if kind == "peg-assessments":
        return PegAssessmentFactory(patient=patient, recorded_at=when)
    if kind == "use-entries":
        return UseEntryFactory(patient=patient, taken_at=when)
    return SleepEntryFactory(patient=patient, night_of=day)


def count(kind: str) -> int:
    return MODELS[kind]._default_manager.count()


def ids(response: Any) -> list[str]:
    return [row["id"] for row in response.json()["results"]]
