"""Reminders through the real broker and a real worker process: a due patient gets exactly
one email, one who already logged gets none, and two dispatchers in one minute send once."""

from datetime import timedelta

import pytest

from journals.models import Delivery, DeliveryStatus
from journals.reminders.tasks import delivery_send_task, reminders_dispatch_task
from tests.factories import PainEntryFactory
from tests.integration.processes import WAIT_S, mails_to, wait_for
from tests.integration.reminders import dispatch_at, patient_due_now

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _sent(patient) -> Delivery | None:
    return Delivery.objects.filter(recipient=patient, status=DeliveryStatus.SENT).first()


def test_a_due_patient_gets_one_email_and_one_who_logged_gets_none(celery_worker, mail_dir):
    due, minute = patient_due_now("due@example.org")
    logged, _ = patient_due_now("logged@example.org")
    PainEntryFactory(patient=logged, recorded_at=minute)

    result = dispatch_at(minute + timedelta(seconds=1))

    assert (result.created, result.enqueued) == (1, 1)
    delivery = wait_for(lambda: _sent(due))
    [email] = mails_to(mail_dir, "due@example.org")
    assert email["Subject"] == "Your evening check-in"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (delivery.attempts, delivery.due_at) == (1, minute)
    assert not Delivery.objects.filter(recipient=logged).exists()
    assert mails_to(mail_dir, "logged@example.org") == []


def test_two_dispatcher_runs_in_one_minute_and_a_duplicated_message_send_one_email(
    celery_worker, mail_dir
):
    patient, _ = patient_due_now("twice@example.org")

    # Two beats by mistake: the worker runs the dispatcher twice in the same minute.
    runs = [reminders_dispatch_task.delay(), reminders_dispatch_task.delay()]
    created = sorted(run.get(timeout=WAIT_S)["created"] for run in runs)
    delivery = Delivery.objects.get(recipient=patient)
    # And the send message itself, delivered twice more (a broker may redeliver).
    repeats = [delivery_send_task.delay(str(delivery.pk)) for _ in range(2)]

    assert created == [0, 1]
    assert [r.get(timeout=WAIT_S) for r in repeats] == ["done", "done"]
    assert len(mails_to(mail_dir, "twice@example.org")) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
