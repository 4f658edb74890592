"""What a reminder or digest says, and the signed link that turns it off."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from journals.models import (
    Delivery,
    ReminderKind,
    Rule,
)
from journals.reminders.channels import Outgoing
from journals.reminders.due import still_wanted
from patients.models import Role, User
from patients.permissions import flags_visible_to

DIGEST_COVERS = timedelta(days=1)
UNSUBSCRIBE_SALT = "mitra.reminders.off"


SUBJECTS = {
    ReminderKind.EVENING: "Your evening check-in",
    ReminderKind.MORNING: "Your morning sleep diary",
    ReminderKind.FOLLOW_UP: "Your journal is here when you are ready",
    ReminderKind.DIGEST: "Mitra: your morning summary",
}
LINKS = {
    ReminderKind.EVENING: "checkin-evening",
    ReminderKind.MORNING: "checkin-morning",
    ReminderKind.FOLLOW_UP: "today",
    ReminderKind.DIGEST: "clinician-home",
}


@dataclass(frozen=True)
class DigestSummary:
    new_flags: int
    high: int
    flagged_patients: int
    stopped_logging: int

    def __bool__(self) -> bool:
        return bool(self.new_flags or self.stopped_logging)


def digest_summary(*, clinician: User, until: datetime) -> DigestSummary:
    """Counts only: what is new on the clinician's patients in the day before ``until``."""
    new = flags_visible_to(clinician).filter(
        created_at__gt=until - DIGEST_COVERS, created_at__lte=until
    )
    others = new.exclude(rule=Rule.STOPPED_LOGGING)
    return DigestSummary(
        new_flags=others.count(),
        high=others.filter(severity="high").count(),
        flagged_patients=others.values("patient").distinct().count(),
        stopped_logging=new.filter(rule=Rule.STOPPED_LOGGING).values("patient").distinct().count(),
    )


def compose(delivery: Delivery) -> Outgoing | None:
    """The message for a claimed row, or None when it is no longer wanted.

    Reminders hold no health data: a greeting, what to do, a link, and the way to turn
    them off. The digest holds counts only.
    """
    if not still_wanted(delivery):
        return None
    person = delivery.recipient
    kind = ReminderKind(delivery.kind)
    context: dict[str, Any] = {
        "name": person.display_name.split(" ")[0] if person.display_name else "",
        "link": settings.SITE_URL + reverse(LINKS[kind]),
        "off_url": unsubscribe_url(person, kind),
        "settings_url": settings.SITE_URL + reverse("settings"),
    }
    if kind == ReminderKind.DIGEST:
        summary = digest_summary(clinician=person, until=delivery.due_at)
        if not summary:
            return None
        context["summary"] = summary
    body = render_to_string(f"journals/email/{kind.value}.txt", context)
    return Outgoing(
        to=person.email,
        subject=SUBJECTS[kind],
        body=body,
        key=f"delivery-{delivery.pk}",
        unsubscribe_url=context["off_url"],
    )


# --- Turning a reminder off from the email -------------------------------------------------


def unsubscribe_token(person: User, kind: str) -> str:
    return signing.dumps({"u": str(person.pk), "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(person: User, kind: str) -> str:
    token = unsubscribe_token(person, kind)
    return settings.SITE_URL + reverse("reminder-off", args=[token])


def unsubscribe_read(token: str) -> tuple[User, ReminderKind] | None:
    """Who and which reminder a link is for; None when it is forged, mangled or stale."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        kind = ReminderKind(data["k"])
        person = User.objects.get(pk=data["u"], is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        return None
    expected_role = Role.CLINICIAN if kind == ReminderKind.DIGEST else Role.PATIENT
    return (person, kind) if person.role == expected_role else None
