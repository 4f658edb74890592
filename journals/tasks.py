"""The module Celery's autodiscovery imports: every task of the journal, by its stable name."""

from journals.flags.tasks import flags_evaluate_task, flags_sweep_task
from journals.reminders.tasks import delivery_send_task, reminders_dispatch_task

__all__ = [
    "delivery_send_task",
    "flags_evaluate_task",
    "flags_sweep_task",
    "reminders_dispatch_task",
]
