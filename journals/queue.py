"""What the journal's services ask the workers to do, by each task's stable name, after commit:
the services never import the tasks that call them (``config.celery.publish_on_commit``)."""

import uuid

from config.celery import publish_on_commit

FLAGS_EVALUATE_TASK = "journals.tasks.flags_evaluate_task"
FLAGS_SWEEP_TASK = "journals.tasks.flags_sweep_task"


def flags_evaluate_on_commit(patient_id: uuid.UUID | str) -> None:
    """Evaluate the patient's flags once the current transaction commits.

    Robust: the entry is already saved when the message goes out, so a broker that is down
    must not turn the save into an error (the hourly sweep catches up); the failure is logged.
    """
    publish_on_commit(FLAGS_EVALUATE_TASK, str(patient_id), robust=True)
