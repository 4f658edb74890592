"""Tokens, /me, care team consent and invitations through the API."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from config.settings import base as base_settings
from patients import services
from patients.models import AuditEvent, Invitation, User
from tests.conftest import client_for
from tests.factories import PASSWORD, PatientFactory

TOKEN_URL = "/api/v1/auth/token/"


def _sign_in(api, email: str, password: str):
    return api.post(TOKEN_URL, {"email": email, "password": password}, format="json")


def test_sign_in_returns_a_token_that_authenticates(api, alice):
    token = _sign_in(api, "alice@example.org", PASSWORD).json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/")

    assert me.status_code == 200
    assert me.json()["id"] == str(alice.pk)


def test_sign_in_ignores_the_case_of_the_email(api, alice):
    assert _sign_in(api, "ALICE@Example.ORG", PASSWORD).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(api, alice):
    wrong_password = _sign_in(api, "alice@example.org", "not her password at all")
    unknown_email = _sign_in(api, "nobody@example.org", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json()


def test_deactivated_user_cannot_sign_in(api, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    assert _sign_in(api, "alice@example.org", PASSWORD).status_code == 400


def test_revoked_token_no_longer_authenticates(api, alice):
    token = _sign_in(api, "alice@example.org", PASSWORD).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert api.delete(TOKEN_URL).status_code == 204
    assert api.get("/api/v1/me/").status_code == 401


def test_missing_credentials_are_401(api):
    assert api.get("/api/v1/me/").status_code == 401


def test_me_describes_a_patient(alice):
    body = client_for(alice).get("/api/v1/me/").json()

    assert body == {
        "id": str(alice.pk),
        "email": "alice@example.org",
        "role": "patient",
        "clinic": {"id": alice.patient_profile.clinic_id, "name": "Riverside"},
        "timezone": "Europe/Berlin",
        "display_name": "Alice",
        "digest_enabled": None,
    }


def test_me_describes_a_clinician_with_their_digest_zone_and_switch(bob):
    body = client_for(bob).get("/api/v1/me/").json()

    assert body["role"] == "clinician"
    assert body["clinic"]["name"] == "Riverside"
    assert (body["timezone"], body["digest_enabled"]) == ("UTC", True)


def test_patient_changes_their_time_zone(alice):
    response = client_for(alice).patch("/api/v1/me/", {"timezone": "Asia/Tokyo"}, format="json")

    assert response.status_code == 200
    alice.patient_profile.refresh_from_db()
    assert alice.patient_profile.timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    "zone", ["CEST", "+01:00", "Mars/Olympus", "", "EST", "CET", "EST5EDT", "Etc/GMT+5"]
)
def test_time_zone_that_is_not_the_iana_name_of_a_place_is_rejected_and_nothing_changes(
    alice, zone
):
    response = client_for(alice).patch(
        "/api/v1/me/", {"timezone": zone, "display_name": "Changed"}, format="json"
    )

    assert response.status_code == 400
    assert "timezone" in response.json()
    alice.refresh_from_db()
    assert alice.display_name == "Alice"
    assert alice.patient_profile.timezone == "Europe/Berlin"


def test_clinician_sets_the_zone_and_switch_of_their_morning_digest(bob):
    response = client_for(bob).patch(
        "/api/v1/me/", {"timezone": "Asia/Tokyo", "digest_enabled": False}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["timezone"], response.json()["digest_enabled"]) == ("Asia/Tokyo", False)
    bob.clinician_profile.refresh_from_db()
    assert (bob.clinician_profile.timezone, bob.clinician_profile.digest_enabled) == (
        "Asia/Tokyo",
        False,
    )


def test_a_patient_has_no_digest_to_switch_and_nothing_changes(alice):
    response = client_for(alice).patch(
        "/api/v1/me/", {"timezone": "Asia/Tokyo", "digest_enabled": False}, format="json"
    )

    assert response.status_code == 400
    assert "digest_enabled" in response.json()
    alice.patient_profile.refresh_from_db()
    assert alice.patient_profile.timezone == "Europe/Berlin"


def test_care_team_lists_clinicians_with_consent_state(alice, alice_team):
    [member] = client_for(alice).get("/api/v1/care-team/").json()

    assert member["id"] == str(alice_team.pk)
    assert member["clinician"]["display_name"] == "Dr Bob"
    assert member["consent_active"] is True
    assert member["consent_revoked_at"] is None


def test_revoking_consent_refuses_the_clinicians_very_next_request(alice, bob, alice_team):
    clinician = client_for(bob)
    assert clinician.get(f"/api/v1/patients/{alice.pk}/").status_code == 200

    revoked = client_for(alice).post(f"/api/v1/care-team/{alice_team.pk}/revoke/")

    assert revoked.status_code == 200
    assert revoked.json()["consent_active"] is False
    assert clinician.get(f"/api/v1/patients/{alice.pk}/").status_code == 404
    assert clinician.get(f"/api/v1/patients/{alice.pk}/pain-entries/").status_code == 404
    assert str(alice.pk) not in {
        p["id"] for p in clinician.get("/api/v1/patients/").json()["results"]
    }


def test_restoring_consent_gives_sight_back_at_once(alice, bob, alice_team):
    services.care_team_revoke(membership=alice_team)

    restored = client_for(alice).post(f"/api/v1/care-team/{alice_team.pk}/restore/")

    assert restored.status_code == 200
    assert restored.json()["consent_active"] is True
    assert client_for(bob).get(f"/api/v1/patients/{alice.pk}/").status_code == 200


def test_patient_record_for_the_clinician_has_the_agreed_fields(alice, bob, alice_team):
    body = client_for(bob).get(f"/api/v1/patients/{alice.pk}/").json()

    assert {"id", "email", "display_name", "timezone"} <= body.keys()
    assert body["timezone"] == "Europe/Berlin"


def test_malformed_patient_id_is_404(bob):
    assert client_for(bob).get("/api/v1/patients/not-a-uuid/").status_code == 404
    assert client_for(bob).get("/api/v1/patients/abc/pain-entries/").status_code == 404


def test_inactive_patient_is_hidden_from_the_clinician(alice, bob, alice_team):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    assert client_for(bob).get(f"/api/v1/patients/{alice.pk}/").status_code == 404


def test_invitation_is_recorded_and_queued_after_commit(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(bob).post("/api/v1/invitations/", {"email": "New@Example.org"})

    assert response.status_code == 201
    invitation = Invitation.objects.get()
    assert invitation.email == "new@example.org"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert len(callbacks) == 1


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 250 + "@example.org"])
def test_invitation_with_a_bad_email_is_rejected_and_nothing_is_stored(bob, email):
    response = client_for(bob).post("/api/v1/invitations/", {"email": email}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()
    assert Invitation.objects.count() == 0


def test_invitation_email_holds_a_link_and_no_health_data(bob, mailoutbox, settings):
    settings.SITE_URL = "https://mitra.example"
    invitation = Invitation.objects.create(
        email="sam@example.org",
        clinician=bob,
        clinic=bob.clinician_profile.clinic,
        expires_at=timezone.now() + timedelta(days=7),
    )

    assert services.invitation_send(invitation_id=invitation.pk) is True
    assert services.invitation_send(invitation_id=invitation.pk) is False

    [mail] = mailoutbox
    assert mail.to == ["sam@example.org"]
    assert "https://mitra.example/invite/" in mail.body


def test_email_is_unique_whatever_its_case_in_the_database(alice):
    other = PatientFactory(email="other@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=other.pk).update(email="ALICE@EXAMPLE.ORG")


def test_passwords_are_hashed_with_argon2_outside_tests(db):
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        user = PatientFactory(password="argon2 is the first hasher")

    assert user.password.startswith("argon2")


def test_each_clinician_read_of_a_patient_is_audited_once(alice, bob, alice_team):
    clinician = client_for(bob)
    clinician.get(f"/api/v1/patients/{alice.pk}/")
    clinician.get(f"/api/v1/patients/{alice.pk}/sleep-entries/")
    clinician.get("/api/v1/patients/")

    events = list(
        AuditEvent.objects.filter(patient=alice).order_by("id").values_list("actor", "object_type")
    )
    assert events == [(bob.pk, "patient"), (bob.pk, "sleepentry"), (bob.pk, "patient")]


def test_a_patient_reading_their_own_record_is_not_an_access_event(alice):
    client_for(alice).get("/api/v1/pain-entries/")

    # (signing in is an event of its own, and not about her record)
    assert not AuditEvent.objects.filter(action="view").exists()


def test_an_unroutable_api_path_answers_json_404(bob):
    response = client_for(bob).get("/api/v1/patients/not!a!uuid/pain-entries/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("typed", "meant"), [("london", "Europe/London"), ("New York", "America/New_York")]
)
def test_a_city_alone_is_refused_with_its_zone_suggested(alice, typed, meant):
    response = client_for(alice).patch("/api/v1/me/", {"timezone": typed}, format="json")

    assert response.status_code == 400
    assert response.json()["timezone"] == [
        f"Enter an IANA time zone name such as Europe/Berlin. Did you mean {meant}?"
    ]
