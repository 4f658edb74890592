"""Flag evaluation in the background: after an entry is written, and by a periodic sweep."""

import logging
import uuid

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, transaction

from journals import flags, reminders
from journals.channels import TransientSendError

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def flags_evaluate_task(patient_id: str) -> int:
    """Evaluate one patient's flags; returns how many open flags the findings touched.

    Safe to run twice or at once (``flags_evaluate`` is idempotent), so ``acks_late`` is.
    """
    return len(flags.flags_evaluate(patient_id=patient_id))


@shared_task(acks_late=True)
def flags_sweep_task() -> int:
    """Fan out one evaluation per patient who logged before (absence rules need a clock)."""
    count = 0
    for patient_id in flags.patients_to_sweep().values_list("pk", flat=True).iterator():
        flags_evaluate_task.delay(str(patient_id))
        count += 1
    return count


def flags_evaluate_on_commit(patient_id: uuid.UUID | str) -> None:
    """Enqueue an evaluation once the current transaction commits.

    ``delay_on_commit`` with ``robust=True``: the entry is already saved when the callback
    runs, so a broker that is down must not turn the save into an error (the hourly sweep
    catches up); the failure is logged.
    """

    def enqueue_flags_evaluation() -> None:  # named: Django logs a robust failure by name
        flags_evaluate_task.delay(str(patient_id))

    transaction.on_commit(enqueue_flags_evaluation, robust=True)


@shared_task(acks_late=True)
def reminders_dispatch_task() -> dict[str, int]:
    """Every minute (beat): write the rows now due and hand them to the workers."""
    result = reminders.reminders_dispatch()
    return {
        "created": result.created,
        "enqueued": result.enqueued,
        "recovered": result.recovered,
        "expired": result.expired,
    }


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=reminders.MAX_ATTEMPTS - 1,
    soft_time_limit=settings.REMINDER_SEND_TIME_LIMIT_SECONDS,
    time_limit=settings.REMINDER_SEND_TIME_LIMIT_SECONDS + 5,
)
def delivery_send_task(self: Task, delivery_id: str) -> str:
    """Send one delivery. Idempotent: the row is claimed before anything goes out, so a
    redelivered or duplicated message finds it taken or done."""
    try:
        return reminders.delivery_send(delivery_id=delivery_id).value
    except (TransientSendError, SoftTimeLimitExceeded) as exc:
        reason = exc.reason if isinstance(exc, TransientSendError) else "send timed out"
        if self.request.retries >= (self.max_retries or 0):
            reminders.delivery_mark_failed(delivery_id=delivery_id, reason=reason)
            return reminders.Outcome.DONE.value
        delay = reminders.retry_delay(self.request.retries)
        reminders.delivery_retry_later(delivery_id=delivery_id, delay_s=delay)
        raise self.retry(countdown=delay) from exc


def deliveries_send_on_commit(delivery_ids: list[uuid.UUID]) -> None:
    """After the dispatcher's transaction commits, publish one send message per row over a
    single broker connection."""
    if not delivery_ids:
        return

    def publish_deliveries() -> None:
        with delivery_send_task.app.producer_or_acquire() as producer:
            for delivery_id in delivery_ids:
                delivery_send_task.apply_async((str(delivery_id),), producer=producer)

    transaction.on_commit(publish_deliveries)
