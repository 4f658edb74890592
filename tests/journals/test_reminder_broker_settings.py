"""The broker settings the exactly-once design leans on, read where Celery reads them."""

import subprocess
import sys

from django.conf import settings

from config.celery import app
from journals.reminders.dispatch import MAX_ATTEMPTS
from journals.reminders.send import retry_delay
from journals.reminders.tasks import delivery_send_task


def test_a_send_holds_its_lease_longer_than_it_may_run():
    assert delivery_send_task.time_limit < settings.REMINDER_SEND_LEASE_SECONDS
    assert delivery_send_task.soft_time_limit < delivery_send_task.time_limit
    assert delivery_send_task.acks_late
    assert delivery_send_task.reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def test_on_redis_a_message_is_not_handed_to_another_worker_while_it_may_still_run():
    code = (
        "import django; django.setup(); from config.celery import app; "
        "print(app.conf.broker_transport_options['visibility_timeout'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    visibility = int(result.stdout.split()[-1])

    longest_countdown = retry_delay(MAX_ATTEMPTS - 2)
    assert visibility > 10 * delivery_send_task.time_limit
    assert visibility > 10 * longest_countdown
    assert visibility > settings.REMINDER_SEND_LEASE_SECONDS


def test_the_dispatcher_runs_every_minute_and_drops_a_run_left_over_from_a_stalled_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-dispatch"]
    assert entry["task"] == "journals.tasks.reminders_dispatch_task"
    assert str(entry["schedule"]) == "<crontab: * * * * * (m/h/dM/MY/d)>"
    assert entry["options"]["expires"] < 60
