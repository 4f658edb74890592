"""The Celery worker's own log holds no patient data: a real worker, at INFO, on the real broker,
runs the flag evaluation, an invitation email and a reminder email for a patient whose every
value is a marker; then its whole output is searched for the markers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from journals import tasks
from journals.models import Delivery, DeliveryStatus, ReminderKind
from patients import services
from patients.models import Invitation
from tests.factories import ClinicianFactory
from tests.integration.processes import (
    Worker,
    mails_to,
    wait_for,
)
from tests.security import markers

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_logs_no_patient_data(tmp_path, private_redis):
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    worker = Worker(
        mail_dir=mail_dir, log=log, loglevel="INFO", broker_url=private_redis.url
    ).start()
    try:
        clinician = ClinicianFactory()
        patient = markers.marked_patient(clinician.clinician_profile.clinic)
        markers.pain_entry(patient, recorded_at=timezone.now() - timedelta(hours=30))
        markers.use_entry(patient)  # each entry enqueues a flag evaluation on commit
        invitation = services.invitation_create(clinician=clinician, email=markers.INVITED)
        delivery = Delivery.objects.create(
            recipient=patient,
            kind=ReminderKind.EVENING,
            local_date=timezone.localdate(timezone=patient.patient_profile.zone),
            due_at=timezone.now(),
        )
        tasks.reminders_dispatch_task()

        wait_for(lambda: Invitation.objects.get(pk=invitation.pk).sent_at)
        wait_for(lambda: mails_to(mail_dir, markers.INVITED))
        wait_for(
            lambda: (
                Delivery.objects.get(pk=delivery.pk).status
                not in {DeliveryStatus.PENDING, DeliveryStatus.SENDING}
            )
        )
        wait_for(lambda: log.read_text().count("flags_evaluate_task") >= 2)
    finally:
        worker.stop()

    # The worker had the patient's data in hand: it emailed them, by their address.
    assert mails_to(mail_dir, markers.EMAIL)
    output = log.read_text()
    assert "invitation_send_task" in output
    assert "delivery_send_task" in output
    assert [line for line in output.splitlines() if markers.found_in(line)] == []
