"""Reminders in the background: the dispatcher every minute, and one send per delivery."""

import uuid

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

from journals.reminders.channels import TransientSendError
from journals.reminders.dispatch import MAX_ATTEMPTS, reminders_dispatch
from journals.reminders.send import (
    Outcome,
    delivery_mark_failed,
    delivery_retry_later,
    delivery_send,
    retry_delay,
)


@shared_task(name="journals.tasks.reminders_dispatch_task", acks_late=True)
def reminders_dispatch_task() -> dict[str, int]:
    """Every minute (beat): write the rows now due and hand them to the workers."""
    result = reminders_dispatch()
    deliveries_send_on_commit(result.to_send)
    return {
        "created": result.created,
        "enqueued": result.enqueued,
        "recovered": result.recovered,
        "expired": result.expired,
    }


@shared_task(
    name="journals.tasks.delivery_send_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_ATTEMPTS - 1,
    soft_time_limit=settings.REMINDER_SEND_TIME_LIMIT_SECONDS,
    time_limit=settings.REMINDER_SEND_TIME_LIMIT_SECONDS + 5,
)
def delivery_send_task(self: Task, delivery_id: str) -> str:
    """Send one delivery. Idempotent: the row is claimed before anything goes out, so a
    redelivered or duplicated message finds it taken or done."""
    try:
        return delivery_send(delivery_id=delivery_id).value
    except (TransientSendError, SoftTimeLimitExceeded) as exc:
        reason = exc.reason if isinstance(exc, TransientSendError) else "send timed out"
        if self.request.retries >= (self.max_retries or 0):
            delivery_mark_failed(delivery_id=delivery_id, reason=reason)
            return Outcome.DONE.value
        delay = retry_delay(self.request.retries)
        delivery_retry_later(delivery_id=delivery_id, delay_s=delay)
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
