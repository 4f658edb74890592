"""Writes to a patient's reminder settings."""

from collections.abc import Mapping
from typing import Any

from journals.models import (
    ReminderKind,
    ReminderSettings,
)
from patients.models import ClinicianProfile, User


def reminder_settings_get(*, patient: User) -> ReminderSettings:
    """A patient's reminder settings; the defaults until they change them."""
    found, _ = ReminderSettings.objects.get_or_create(patient=patient)
    return found


def reminder_turn_off(*, person: User, kind: str) -> None:
    """From the link in a reminder email: that one reminder off (idempotent)."""
    if kind == ReminderKind.DIGEST:
        ClinicianProfile.objects.filter(user=person).update(digest_enabled=False)
        return
    reminder_settings_update(patient=person, data={f"{kind}_enabled": False})


def reminder_settings_update(*, patient: User, data: Mapping[str, Any]) -> ReminderSettings:
    reminders = reminder_settings_get(patient=patient)
    for field, value in data.items():
        setattr(reminders, field, value)
    reminders.full_clean(exclude=["patient"])
    reminders.save(update_fields=[*data.keys(), "updated_at"])
    return reminders
