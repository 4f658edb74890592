from celery import Celery
from django.db import transaction

app = Celery("mitra")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def publish_on_commit(task_name: str, *args: str, robust: bool = False) -> None:
    """Send a task by its stable ``name=`` once the current transaction commits.

    Services publish this way, so they never import the tasks that call them: the name is the
    contract, as it is for messages already queued. ``robust``: a broker that is down is
    logged (by Django, naming ``publish``) instead of failing a write that is already saved.
    """

    def publish() -> None:
        app.send_task(task_name, args=args)

    transaction.on_commit(publish, robust=robust)
