"""Invitation emails go through the real broker to a real worker process."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from patients.models import Invitation, Role, User
from patients.tasks import invitation_send_task
from tests.conftest import client_for
from tests.integration.processes import WAIT_S, mails_to, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_invitation_made_through_the_api_is_emailed_by_the_worker(celery_worker, mail_dir, bob):
    response = client_for(bob).post("/api/v1/invitations/", {"email": "Sam@Example.org"})
    assert response.status_code == 201

    [mail] = wait_for(lambda: mails_to(mail_dir, "sam@example.org"))

    body = mail.get_payload()
    assert "/invite/" in body
    assert "Riverside" in mail["Subject"]
    invitation = Invitation.objects.get(email="sam@example.org")
    assert invitation.sent_at is not None


def test_the_emailed_link_creates_the_patient_on_the_inviters_team(celery_worker, mail_dir, bob):
    client_for(bob).post("/api/v1/invitations/", {"email": "kim@example.org"})
    [mail] = wait_for(lambda: mails_to(mail_dir, "kim@example.org"))
    path = re.search(r"https?://[^/]+(/invite/\S+/)", mail.get_payload()).group(1)

    client = client_for(None)
    assert client.get(path).status_code == 200
    response = client.post(
        path,
        {
            "display_name": "Kim",
            "timezone": "Europe/Paris",
            "password": "a long enough passphrase",
            "password_confirm": "a long enough passphrase",
        },
        format="multipart",
    )

    assert response.status_code == 200
    kim = User.objects.get(email="kim@example.org")
    assert kim.role == Role.PATIENT
    assert kim.patient_profile.timezone == "Europe/Paris"
    assert list(kim.care_teams.values_list("clinician", flat=True)) == [bob.pk]


def test_the_same_invitation_sent_twice_is_emailed_once(celery_worker, mail_dir, bob):
    invitation = Invitation.objects.create(
        email="once@example.org",
        clinician=bob,
        clinic=bob.clinician_profile.clinic,
        expires_at=timezone.now() + timedelta(days=7),
    )

    first = invitation_send_task.delay(str(invitation.pk))
    second = invitation_send_task.delay(str(invitation.pk))

    assert sorted([first.get(timeout=WAIT_S), second.get(timeout=WAIT_S)]) == [False, True]
    assert len(mails_to(mail_dir, "once@example.org")) == 1
