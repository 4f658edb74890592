"""Flag evaluation in the background: after an entry is written, and by a periodic sweep."""

from celery import shared_task
from django.db import DatabaseError

from journals.flags.services import flags_evaluate, patients_to_sweep
from journals.queue import FLAGS_EVALUATE_TASK, FLAGS_SWEEP_TASK


@shared_task(
    name=FLAGS_EVALUATE_TASK,
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
    return len(flags_evaluate(patient_id=patient_id))


@shared_task(name=FLAGS_SWEEP_TASK, acks_late=True)
def flags_sweep_task() -> int:
    """Fan out one evaluation per patient who logged before (absence rules need a clock)."""
    count = 0
    for patient_id in patients_to_sweep().values_list("pk", flat=True).iterator():
        flags_evaluate_task.delay(str(patient_id))
        count += 1
    return count
