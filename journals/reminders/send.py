"""Sending one delivery exactly once: claim it with a lease, check it is still wanted, send it,
record it."""

from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from journals.models import (
    Delivery,
    DeliveryStatus,
)
from journals.reminders.channels import PermanentSendError, TransientSendError, channel_named
from journals.reminders.compose import compose


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    BUSY = "busy"  # another worker holds the lease; a later run hands it out if it dies
    DONE = "done"  # already sent, skipped or failed: nothing to do


def delivery_send(*, delivery_id: str) -> Outcome:
    """Claim the row, check it is still wanted, send it, record it.

    Raises ``TransientSendError`` after releasing the claim (the task retries); a
    permanent error marks the row failed.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.REMINDER_SEND_LEASE_SECONDS)
    claimed = (
        Delivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=DeliveryStatus.PENDING)
            | Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
        )
        .update(
            status=DeliveryStatus.SENDING,
            sending_at=now,
            lease_expires_at=now + lease,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        status = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        return Outcome.BUSY if status == DeliveryStatus.SENDING else Outcome.DONE
    delivery = Delivery.objects.select_related("recipient").get(pk=delivery_id)
    message = compose(delivery)
    if message is None:
        _finish(delivery, status=DeliveryStatus.SKIPPED, last_error="no longer needed")
        return Outcome.SKIPPED
    try:
        channel_named(delivery.channel).send(message)
    except TransientSendError as exc:
        _finish(delivery, status=DeliveryStatus.PENDING, last_error=exc.reason)
        raise
    except PermanentSendError as exc:
        _finish(delivery, status=DeliveryStatus.FAILED, last_error=exc.reason)
        return Outcome.DONE
    _finish(delivery, status=DeliveryStatus.SENT)
    return Outcome.SENT


def _finish(delivery: Delivery, *, status: str, last_error: str = "") -> None:
    now = timezone.now()
    stamps = {
        DeliveryStatus.SENT: {"sent_at": now},
        DeliveryStatus.FAILED: {"failed_at": now},
    }.get(DeliveryStatus(status), {})
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=status,
        lease_expires_at=None,
        last_error=last_error or delivery.last_error,
        **stamps,
    )


def delivery_retry_later(*, delivery_id: str, delay_s: float) -> None:
    """A retry message is on its way: keep the dispatcher from sending another meanwhile."""
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        enqueued_at=timezone.now() + timedelta(seconds=delay_s)
    )


def delivery_mark_failed(*, delivery_id: str, reason: str) -> None:
    """After the last retry: failed, with the reason, for the clinic's admins to see."""
    Delivery.objects.filter(
        pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).update(
        status=DeliveryStatus.FAILED,
        failed_at=timezone.now(),
        lease_expires_at=None,
        last_error=reason[:200],
    )


def retry_delay(retries: int) -> float:
    """Exponential backoff: base, 2 × base, 4 × base…"""
    return float(settings.REMINDER_RETRY_BASE_SECONDS * 2**retries)
