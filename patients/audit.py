"""Recording who read which patient's record. Every clinician read goes through here."""

from collections.abc import Iterable

from django.http import HttpRequest

from patients.models import AuditAction, AuditEvent, User


def audit_reads(
    *, request: HttpRequest, actor: User, patients: Iterable[User], object_type: str
) -> None:
    """One event per patient whose data a clinician's request showed (one INSERT)."""
    if not actor.is_clinician:
        return
    ip_address = request.META.get("REMOTE_ADDR")
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            patient=patient,
            action=AuditAction.VIEW,
            object_type=object_type,
            ip_address=ip_address,
        )
        for patient in patients
    )
