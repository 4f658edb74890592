"""Sending one delivery, in this process (Django's locmem mail backend): what the email says
and does not say, skipping what is no longer needed, retries, failures, the digest."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from journals.models import Delivery, DeliveryStatus, Flag, Rule, Severity
from journals.reminders.dispatch import reminders_dispatch
from journals.reminders.send import Outcome, delivery_send
from journals.reminders.services import reminder_settings_update
from journals.reminders.tasks import delivery_send_task
from patients import services as patient_services
from tests.factories import (
    ClinicFactory,
    ClinicianFactory,
    MembershipFactory,
    PainEntryFactory,
    PatientFactory,
    UseEntryFactory,
)
from tests.mail_backends import FlakyLocmem

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 6, 10, 19, 0, tzinfo=UTC)  # 21:00 in Berlin
DIGEST = datetime(2026, 6, 10, 5, 30, tzinfo=UTC)  # 07:30 in Berlin
MARKERS = ("Maeng Da Zeta", "slept-on-the-sofa-note", "9.5")


@pytest.fixture(autouse=True)
def _reliable_mail_after_each_test():
    yield
    FlakyLocmem.failures_left = 0


def _patient(**fields):
    with time_machine.travel(EVENING - timedelta(days=1)):
        return PatientFactory(timezone="Europe/Berlin", **fields)


def _due(moment: datetime = EVENING) -> Delivery:
    with time_machine.travel(moment, tick=False):
        reminders_dispatch()
    return Delivery.objects.get()


def _send(delivery: Delivery, moment: datetime = EVENING) -> Outcome:
    with time_machine.travel(moment + timedelta(seconds=5), tick=False):
        return delivery_send(delivery_id=str(delivery.pk))


def test_the_evening_email_says_what_to_do_and_holds_no_health_data(settings):
    patient = _patient(display_name="Robin Quill", email="robin@example.org")
    UseEntryFactory(
        patient=patient,
        taken_at=EVENING - timedelta(hours=2),
        product=MARKERS[0],
        note=MARKERS[1],
        amount="9.5",
    )
    delivery = _due()

    assert _send(delivery) == Outcome.SENT

    [email] = mail.outbox
    assert (email.to, email.subject) == (["robin@example.org"], "Your evening check-in")
    assert email.body.startswith("Hello Robin,")
    assert f"{settings.SITE_URL}/checkin/evening/" in email.body
    for marker in (*MARKERS, "kratom", "Kratom", "gram"):
        assert marker not in email.body
        assert marker not in email.subject
    off_url = re.search(r"Turn off evening reminders: (\S+)", email.body).group(1)
    assert email.extra_headers["List-Unsubscribe"] == f"<{off_url}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(delivery.pk) in email.extra_headers["Message-ID"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 1, "")
    assert delivery.sent_at == EVENING + timedelta(seconds=5)


def test_the_morning_and_follow_up_emails_link_where_they_should(settings):
    with time_machine.travel(EVENING - timedelta(days=10)):
        quiet = PatientFactory(timezone="Europe/Berlin")
    morning = _patient()
    for moment in (datetime(2026, 6, 10, 6, 0, tzinfo=UTC), EVENING):
        with time_machine.travel(moment, tick=False):
            reminders_dispatch()
        for delivery in Delivery.objects.filter(status=DeliveryStatus.PENDING):
            assert _send(delivery, moment) == Outcome.SENT

    sent = {(email.to[0], email.subject): email.body for email in mail.outbox}
    assert (
        f"{settings.SITE_URL}/checkin/morning/" in sent[morning.email, "Your morning sleep diary"]
    )
    assert f"{settings.SITE_URL}/checkin/evening/" in sent[morning.email, "Your evening check-in"]
    follow_up = sent[quiet.email, "Your journal is here when you are ready"]
    assert f"{settings.SITE_URL}/today/" in follow_up
    assert "at most once" in follow_up
    assert len(mail.outbox) == 4  # the quiet patient's morning reminder too


def test_a_second_send_of_the_same_row_sends_nothing():
    _patient()
    delivery = _due()

    outcomes = [_send(delivery), _send(delivery)]

    assert outcomes == [Outcome.SENT, Outcome.DONE]
    assert len(mail.outbox) == 1


def test_a_row_another_worker_holds_is_left_to_it():
    _patient()
    delivery = _due()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, lease_expires_at=EVENING + timedelta(minutes=2)
    )

    assert _send(delivery) == Outcome.BUSY
    assert mail.outbox == []


def test_nothing_is_sent_when_the_patient_logged_after_the_row_was_written():
    patient = _patient()
    delivery = _due()
    PainEntryFactory(patient=patient, recorded_at=EVENING)

    assert _send(delivery) == Outcome.SKIPPED

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.SKIPPED, "no longer needed")


def test_a_check_in_after_last_midnight_does_not_stop_tonights_reminder():
    patient = _patient()
    delivery = _due()
    # 00:30 today in Berlin, added after the row was written: last evening's, done late.
    PainEntryFactory(patient=patient, recorded_at=datetime(2026, 6, 9, 22, 30, tzinfo=UTC))

    assert _send(delivery) == Outcome.SENT
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"evening_enabled": False},
        {"quiet_start": time(20, 0), "quiet_end": time(22, 0)},
    ],
)
def test_nothing_is_sent_when_the_patient_changed_their_settings_meanwhile(change):
    patient = _patient()
    delivery = _due()
    reminder_settings_update(patient=patient, data=change)

    assert _send(delivery) == Outcome.SKIPPED
    assert mail.outbox == []


def test_nothing_is_sent_to_a_patient_deactivated_meanwhile():
    patient = _patient()
    delivery = _due()
    patient.is_active = False
    patient.save()

    assert _send(delivery) == Outcome.SKIPPED


@override_settings(EMAIL_BACKEND="tests.mail_backends.FlakyLocmem")
def test_smtp_failing_twice_then_working_sends_one_email_and_records_the_retries():
    _patient()
    delivery = _due()
    FlakyLocmem.failures_left = 2

    with time_machine.travel(EVENING + timedelta(seconds=5), tick=False):
        result = delivery_send_task.apply(args=[str(delivery.pk)])

    assert result.get() == Outcome.SENT
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert delivery.last_error == "SMTPServerDisconnected"


@override_settings(EMAIL_BACKEND="tests.mail_backends.FlakyLocmem")
def test_after_the_last_retry_the_row_is_marked_failed():
    _patient()
    delivery = _due()
    FlakyLocmem.failures_left = 100

    with time_machine.travel(EVENING + timedelta(seconds=5), tick=False):
        delivery_send_task.apply(args=[str(delivery.pk)])

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.FAILED,
        delivery_send_task.max_retries + 1,
        "SMTPServerDisconnected",
    )
    assert delivery.failed_at is not None


@override_settings(EMAIL_BACKEND="tests.mail_backends.RefusingLocmem")
def test_a_permanent_refusal_fails_at_once_without_retrying():
    _patient()
    delivery = _due()

    with time_machine.travel(EVENING + timedelta(seconds=5), tick=False):
        delivery_send_task.apply(args=[str(delivery.pk)])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.FAILED,
        1,
        "SMTP 550",
    )


def _flag(patient, rule=Rule.CO_USE, severity=Severity.HIGH, at=DIGEST - timedelta(hours=3)):
    with time_machine.travel(at):
        return Flag.objects.create(
            patient=patient,
            rule=rule,
            severity=severity,
            window_start=date(2026, 6, 9),
            window_end=date(2026, 6, 9),
        )


def test_the_digest_counts_new_flags_and_silent_patients_and_names_nobody(settings):
    clinic = ClinicFactory()
    clinician = ClinicianFactory(timezone="Europe/Berlin", clinic=clinic)
    flagged = _patient(display_name="Quentin Flagged", clinic=clinic)
    silent = _patient(display_name="Sally Silent", clinic=clinic)
    revoked = _patient(display_name="Ron Revoked", clinic=clinic)
    for patient in (flagged, silent, revoked):
        MembershipFactory(patient=patient, clinician=clinician)
    _flag(flagged)
    _flag(flagged, rule=Rule.POOR_SLEEP, severity=Severity.LOW)
    _flag(flagged, rule=Rule.ESCALATION, at=DIGEST - timedelta(days=2))  # not new
    _flag(silent, rule=Rule.STOPPED_LOGGING, severity=Severity.MEDIUM)
    _flag(revoked)
    patient_services.care_team_revoke(membership=revoked.care_teams.get())
    delivery = _due(DIGEST)

    assert _send(delivery, DIGEST) == Outcome.SENT

    [email] = mail.outbox
    assert email.subject == "Mitra: your morning summary"
    assert "2 new safety flags on 1 patient, 1 of them high priority" in email.body
    assert "1 patient stopped logging" in email.body
    assert f"{settings.SITE_URL}/clinic/" in email.body
    for name in ("Quentin", "Sally", "Ron", "alcohol", "sleep", "Co-use"):
        assert name not in email.body


def test_no_digest_when_there_is_nothing_to_say():
    clinic = ClinicFactory()
    clinician = ClinicianFactory(timezone="Europe/Berlin", clinic=clinic)
    patient = _patient(clinic=clinic)
    MembershipFactory(patient=patient, clinician=clinician)
    _flag(patient, at=DIGEST - timedelta(days=2))
    delivery = _due(DIGEST)

    assert _send(delivery, DIGEST) == Outcome.SKIPPED
    assert mail.outbox == []


def test_no_follow_up_is_sent_once_the_quiet_patient_logs_again():
    with time_machine.travel(EVENING - timedelta(days=10)):
        PatientFactory(timezone="Europe/Berlin")
    delivery = _due()
    assert delivery.kind == "follow_up"
    UseEntryFactory(patient=delivery.recipient, taken_at=EVENING - timedelta(minutes=1))

    assert _send(delivery) == Outcome.SKIPPED
    assert mail.outbox == []
