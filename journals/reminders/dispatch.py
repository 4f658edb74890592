"""One dispatcher run: write the rows now due, give back stalled ones, hand them out."""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from config.postgresql.arrays import insert_from_arrays
from journals.models import (
    Delivery,
    DeliveryStatus,
)
from journals.reminders import due as reminders_due
from journals.reminders.due import Due, among_q, batches, clinicians_due, patients_due

logger = logging.getLogger(__name__)

CATCH_UP = timedelta(minutes=30)  # how late a reminder may still go out (missed beats)
REQUEUE_AFTER = timedelta(minutes=10)  # a message not acted on by then is assumed lost
REQUEUE_LIMIT = 1000  # rows handed out again per run, at most
GIVE_UP_AFTER = timedelta(hours=2)  # a reminder this late is no use: marked failed
MAX_ATTEMPTS = 5


@dataclass
class DispatchResult:
    created: int = 0
    recovered: int = 0
    expired: int = 0
    to_send: list[Any] = field(default_factory=list)  # the rows handed out, for the task to publish

    @property
    def enqueued(self) -> int:
        return len(self.to_send)


def reminders_dispatch(*, now: datetime | None = None) -> DispatchResult:
    """One dispatcher run: give back stalled rows, add the rows now due, hand them out.

    Returns the ids handed out in ``to_send``; ``reminders_dispatch_task`` publishes them.
    """
    now = now or timezone.now()
    result = DispatchResult()
    result.recovered = deliveries_recover(now=now)
    start = now - CATCH_UP
    due = [*patients_due(start=start, end=now), *clinicians_due(start=start, end=now)]
    created = deliveries_create(due, now=now)
    result.created = len(created)
    result.expired = deliveries_expire(now=now)
    result.to_send = deliveries_enqueue(now=now, created=created)
    logger.info(
        "reminders dispatched: %s created, %s enqueued, %s recovered, %s expired",
        result.created,
        result.enqueued,
        result.recovered,
        result.expired,
    )
    return result


def deliveries_create(due: list[Due], *, now: datetime) -> list[Any]:
    """Write one row per due item unless it exists, stamped as handed out at ``now``; the
    unique key settles races with a concurrent run. Returns the ids of the rows this run
    wrote: its own to hand out, with no second pass to lock and stamp them."""
    if reminders_due.on_postgresql():
        return [pk for batch in batches(due) for pk in _deliveries_insert_postgresql(batch, now)]
    created = []
    for batch in batches(due):
        existing = set(
            Delivery.objects.filter(
                recipient_id__in={d.recipient_id for d in batch},
                local_date__in={d.day for d in batch},
            ).values_list("recipient_id", "kind", "local_date")
        )
        new = [
            Delivery(
                recipient_id=d.recipient_id,
                kind=d.kind,
                local_date=d.day,
                due_at=d.due_at,
                enqueued_at=now,
            )
            for d in batch
            if (d.recipient_id, d.kind, d.day) not in existing
        ]
        # A row a concurrent run wrote in between is skipped: its id here, never stored,
        # finds nothing to send.
        Delivery.objects.bulk_create(new, ignore_conflicts=True)
        created += [d.pk for d in new]
    return created


def _deliveries_insert_postgresql(due: list[Due], now: datetime) -> list[Any]:
    """``bulk_create(ignore_conflicts=True)`` as one INSERT from arrays, returning the ids
    written (Django prepared each value of each row, 16 columns × 10,000 rows, and could not
    tell which rows were written)."""
    varying = {
        "id": [uuid.uuid4() for _ in due],
        "recipient": [d.recipient_id for d in due],
        "kind": [d.kind for d in due],
        "local_date": [d.day for d in due],
        "due_at": [d.due_at for d in due],
    }
    return insert_from_arrays(
        Delivery, varying, {"enqueued_at": now}, skip_conflicts=True, returning="id"
    )


def deliveries_recover(*, now: datetime) -> int:
    """Rows whose worker died mid-send (lease expired): back to pending, or failed when
    they have used every attempt."""
    stalled = Delivery.objects.filter(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
    stalled.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED,
        failed_at=now,
        lease_expires_at=None,
        last_error="worker lost on the last attempt",
    )
    return stalled.update(status=DeliveryStatus.PENDING, lease_expires_at=None, enqueued_at=None)


def deliveries_expire(*, now: datetime) -> int:
    """Pending rows too late to be of use are marked failed, so nobody gets one at 3 a.m."""
    return Delivery.objects.filter(
        status=DeliveryStatus.PENDING, due_at__lte=now - GIVE_UP_AFTER
    ).update(status=DeliveryStatus.FAILED, failed_at=now, last_error="too late to send")


def deliveries_enqueue(*, now: datetime, created: Iterable[Any] = ()) -> list[Any]:
    """Hand rows to the workers: those this run ``created``, every pending one not handed
    out (given back by ``deliveries_recover``), and a bounded number whose message seems
    lost (a broker restarted without its queue, say).

    Only the run that wrote a row has its id. Other rows are locked (``skip_locked``) and
    stamped in one transaction, so two dispatchers never hand out the same row in the same
    run; the caller publishes the ids returned, after the commit. The bound keeps a backlog
    that drains slower than REQUEUE_AFTER from being published again and again: a second
    message for a row is
    harmless (the claim sends once) but not free.
    """
    pending = Delivery.objects.select_for_update(skip_locked=True).filter(
        status=DeliveryStatus.PENDING
    )
    with transaction.atomic():
        ids = list(pending.filter(enqueued_at__isnull=True).values_list("pk", flat=True))
        ids += (
            pending.filter(enqueued_at__lt=now - REQUEUE_AFTER)
            .order_by("due_at")
            .values_list("pk", flat=True)[:REQUEUE_LIMIT]
        )
        for batch in batches(ids):
            Delivery.objects.filter(among_q("pk", batch)).update(enqueued_at=now)
    return [*created, *ids]
