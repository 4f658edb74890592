"""Flag evaluation in the background: after an entry is written, and by a periodic sweep."""

import logging
import uuid

from celery import shared_task
from django.db import DatabaseError, transaction

from journals import flags

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
