"""Accepting an invitation from its emailed link."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from patients import services
from patients.models import CareTeamMembership, Invitation, User
from tests.factories import PASSWORD, PatientFactory

NEW_PASSWORD = "a long enough passphrase"


@pytest.fixture
def invitation(bob) -> Invitation:
    now = timezone.now()
    return Invitation.objects.create(
        email="sam@example.org",
        clinician=bob,
        clinic=bob.clinician_profile.clinic,
        created_at=now,
        expires_at=now + timedelta(days=7),
    )


def _link(invitation: Invitation) -> str:
    return f"/invite/{services.invitation_token(invitation)}/"


def _accept(invitation: Invitation, **overrides: str):
    form = {
        "display_name": "Sam",
        "timezone": "America/Denver",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        **overrides,
    }
    return Client().post(_link(invitation), form)


def test_opening_the_link_shows_the_form_and_changes_nothing(invitation):
    response = Client().get(_link(invitation))

    assert response.status_code == 200
    assert b"sam@example.org" in response.content
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_creates_the_patient_on_the_inviters_team_with_consent(invitation, bob):
    response = _accept(invitation)

    assert response.status_code == 200
    sam = User.objects.get(email="sam@example.org")
    assert sam.check_password(NEW_PASSWORD)
    assert sam.patient_profile.clinic == bob.clinician_profile.clinic
    membership = CareTeamMembership.objects.get(patient=sam)
    assert membership.clinician == bob
    assert membership.consent_active
    invitation.refresh_from_db()
    assert invitation.accepted_by == sam


def test_the_link_works_only_once(invitation):
    _accept(invitation)

    second = _accept(invitation, password="another long passphrase")

    assert second.status_code == 404
    assert User.objects.filter(email="sam@example.org").count() == 1


def test_the_link_expires_after_seven_days(invitation):
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        response = _accept(invitation)

    assert response.status_code == 404
    assert not User.objects.filter(email="sam@example.org").exists()


def test_the_link_still_works_on_the_sixth_day(invitation):
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23), tick=False):
        response = _accept(invitation)

    assert response.status_code == 200
    assert User.objects.filter(email="sam@example.org").exists()


def test_a_tampered_link_is_404(invitation):
    assert Client().get(_link(invitation)[:-3] + "xx/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short", "password_confirm": "short"}, b"too short"),
        ({"password_confirm": "something else entirely"}, b"differ"),
        ({"timezone": "Moon/Base"}, b"IANA"),
    ],
)
def test_bad_form_input_is_shown_and_nothing_is_created(invitation, overrides, field):
    response = _accept(invitation, **overrides)

    assert response.status_code == 200
    assert field in response.content
    assert not User.objects.filter(email="sam@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_existing_patient_of_the_clinic_joins_with_their_current_password(
    invitation, riverside, bob
):
    sam = PatientFactory(email="sam@example.org", clinic=riverside)

    response = _accept(invitation, password=PASSWORD, password_confirm=PASSWORD)

    assert response.status_code == 200
    assert CareTeamMembership.objects.filter(patient=sam, clinician=bob).exists()


def test_an_existing_account_with_a_wrong_password_does_not_join(invitation, riverside, bob):
    sam = PatientFactory(email="sam@example.org", clinic=riverside)

    response = _accept(invitation)

    assert b"current password" in response.content
    assert not CareTeamMembership.objects.filter(patient=sam).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_patient_of_another_clinic_cannot_use_the_invitation(invitation, hillside):
    PatientFactory(email="sam@example.org", clinic=hillside)

    response = _accept(invitation, password=PASSWORD, password_confirm=PASSWORD)

    assert b"cannot be used with your account" in response.content
    assert not CareTeamMembership.objects.exists()


def test_accepting_a_new_invitation_restores_consent_the_patient_had_withdrawn(
    invitation, riverside, bob
):
    sam = PatientFactory(email="sam@example.org", clinic=riverside)
    membership = services.care_team_add(patient=sam, clinician=bob)
    services.care_team_revoke(membership=membership)

    _accept(invitation, password=PASSWORD, password_confirm=PASSWORD)

    membership.refresh_from_db()
    assert membership.consent_active


def test_adding_a_clinician_again_does_not_override_withdrawn_consent(alice, bob, alice_team):
    services.care_team_revoke(membership=alice_team)

    services.care_team_add(patient=alice, clinician=bob)

    alice_team.refresh_from_db()
    assert not alice_team.consent_active
