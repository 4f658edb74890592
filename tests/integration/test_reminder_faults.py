"""Faults, each with a real worker process on a private Redis the test can stop: a worker
killed mid-send, SMTP failing twice, the broker down while a patient saves an entry."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from journals.flags.tasks import flags_sweep_task
from journals.models import Delivery, DeliveryStatus, Flag, UseEntry
from tests.conftest import client_for
from tests.integration.processes import RedisServer, Worker, mails_to, wait_for
from tests.integration.reminders import dispatch_at, patient_due_now

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    # The faults are staged on a private redis-server; the RabbitMQ pass has nothing to add.
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis"), reason="fault tests run on Redis"
    ),
]


def _status(delivery: Delivery) -> str:
    delivery.refresh_from_db()
    return delivery.status


def test_a_worker_killed_mid_send_and_restarted_sends_exactly_one_email(
    private_redis: RedisServer, tmp_path: Path
):
    mail, control = tmp_path / "mail", tmp_path / "control"
    mail.mkdir()
    control.mkdir()
    patient, minute = patient_due_now("killed@example.org")
    stuck = Worker(
        mail_dir=mail,
        pool="prefork",
        broker_url=private_redis.url,
        env={
            "TEST_EMAIL_BACKEND": "tests.mail_backends.BlockingFiles",
            "BLOCKING_MAIL_DIR": str(control),
        },
    ).start()
    try:
        dispatch_at(minute + timedelta(seconds=1))
        wait_for(lambda: (control / "started").exists())
    finally:
        stuck.kill()  # SIGKILL, worker and child, in the middle of the send

    delivery = Delivery.objects.get(recipient=patient)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENDING, 1)
    assert mails_to(mail, "killed@example.org") == []

    fresh = Worker(mail_dir=mail, pool="prefork", broker_url=private_redis.url).start()
    try:
        # Once the dead worker's lease has run out, a dispatcher run hands the row out again.
        assert dispatch_at(delivery.lease_expires_at - timedelta(seconds=1)).recovered == 0
        assert dispatch_at(delivery.lease_expires_at + timedelta(seconds=1)).recovered == 1
        wait_for(lambda: _status(delivery) == DeliveryStatus.SENT)
    finally:
        fresh.stop()

    assert len(mails_to(mail, "killed@example.org")) == 1
    assert delivery.attempts == 2


def test_smtp_failing_twice_then_working_sends_one_email_with_the_retries_recorded(
    private_redis: RedisServer, tmp_path: Path
):
    failures = tmp_path / "failures"
    failures.write_text("2")
    patient, minute = patient_due_now("flaky@example.org")
    worker = Worker(
        mail_dir=tmp_path,
        broker_url=private_redis.url,
        env={
            "TEST_EMAIL_BACKEND": "tests.mail_backends.FlakyFiles",
            "FLAKY_MAIL_FAILURES_FILE": str(failures),
            "REMINDER_RETRY_BASE_SECONDS": "0.2",  # backoff 0.2 s, then 0.4 s
        },
    ).start()
    try:
        dispatch_at(minute + timedelta(seconds=1))
        delivery = Delivery.objects.get(recipient=patient)
        wait_for(lambda: _status(delivery) == DeliveryStatus.SENT)
    finally:
        worker.stop()

    assert len(mails_to(tmp_path, "flaky@example.org")) == 1
    assert (delivery.attempts, delivery.last_error) == (3, "SMTPServerDisconnected")
    assert failures.read_text() == "0"


def test_an_entry_saved_while_the_broker_is_down_is_kept_and_the_sweep_evaluates_it(
    private_redis: RedisServer, tmp_path: Path, alice
):
    private_redis.stop()
    client = client_for(alice)
    now = timezone.now()
    bodies = [
        {"substance": "kratom", "amount": "3", "unit": "g", "form": "powder", "hours": 3},
        {
            "substance": "alcohol",
            "amount": "2",
            "unit": "standard_drink",
            "form": "liquid",
            "hours": 1,
        },
    ]
    responses = [
        client.post(
            "/api/v1/use-entries/",
            {
                **{k: v for k, v in body.items() if k != "hours"},
                "taken_at": (now - timedelta(hours=body["hours"])).isoformat(),
                "mixed_with": "none",
                "reason": "pain",
            },
            format="json",
        )
        for body in bodies
    ]

    assert [r.status_code for r in responses] == [201, 201]
    assert UseEntry.objects.filter(patient=alice).count() == 2
    assert not Flag.objects.filter(patient=alice).exists()

    private_redis.start()
    worker = Worker(mail_dir=tmp_path, broker_url=private_redis.url).start()
    try:
        flags_sweep_task.delay()
        flag = wait_for(lambda: Flag.objects.filter(patient=alice, rule="co_use").first())
    finally:
        worker.stop()
    assert flag.status == "open"
