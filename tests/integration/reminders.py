"""Shared by the reminder integration tests: a patient due this very minute."""

from datetime import datetime, time
from types import SimpleNamespace

import time_machine
from django.utils import timezone

from journals.models import ReminderSettings
from journals.reminders.tasks import reminders_dispatch_task
from patients.models import User
from tests.factories import PatientFactory

# +5:45: no other test zone, and a reminder time that is rarely a round hour.
ZONE = "Asia/Kathmandu"


def patient_due_now(email: str) -> tuple[User, datetime]:
    """A patient whose evening reminder is due at the start of the current minute (UTC),
    with no quiet hours in the way. The worker's own clock is the real one, so the
    dispatcher's clock in these tests stays at the real minute too."""
    minute = timezone.now().replace(second=0, microsecond=0)
    patient = PatientFactory(email=email, timezone=ZONE)
    ReminderSettings.objects.create(
        patient=patient,
        evening_time=minute.astimezone(patient.patient_profile.zone).time(),
        morning_enabled=False,
        quiet_start=time(0, 0),
        quiet_end=time(0, 0),
    )
    return patient, minute


def dispatch_at(moment: datetime) -> SimpleNamespace:
    """One beat at ``moment``: the dispatcher task's body, run here; it publishes the rows the
    service hands out. The counts come back as attributes (``created``, ``enqueued``...)."""
    with time_machine.travel(moment, tick=False):
        return SimpleNamespace(**reminders_dispatch_task())
