"""POST /api/v1/auth/token/ with {email, password, otp}: the second step in one request."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from patients import services
from patients.auth import TokenAuthentication, token_create
from tests.auth.helpers import TOKEN_URL, current_code, enrol
from tests.factories import PASSWORD

NOW = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def token_for(api, email, password=PASSWORD, **extra):
    return api.post(TOKEN_URL, {"email": email, "password": password, **extra}, format="json")


def sign_in_with_token(api, email, **extra):
    """Get a token as a client does and send it with every later request."""
    token = token_for(api, email, **extra).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")


def test_a_patient_without_two_step_gets_a_token_with_email_and_password(api, alice):
    assert token_for(api, "alice@example.org").status_code == 200


def test_a_clinician_without_a_code_gets_400_on_otp(api, bob, frozen):
    enrol(bob)

    response = token_for(api, "bob@example.org")

    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert not AuthToken.objects.exists()


def test_a_clinician_with_the_right_code_gets_a_token(api, bob, frozen):
    device = enrol(bob)

    response = token_for(api, "bob@example.org", otp=current_code(device))

    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/me/").json()["id"] == str(bob.pk)


def test_a_wrong_code_gets_400_on_otp(api, bob, frozen):
    device = enrol(bob)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = token_for(api, "bob@example.org", otp=wrong)

    assert response.status_code == 400
    assert list(response.json()) == ["otp"]


def test_a_code_used_once_is_refused_the_second_time(api, bob, frozen):
    device = enrol(bob)
    code = current_code(device)
    assert token_for(api, "bob@example.org", otp=code).status_code == 200

    frozen.shift(timedelta(seconds=3))
    replay = token_for(api, "bob@example.org", otp=code)

    assert replay.status_code == 400
    assert list(replay.json()) == ["otp"]
    assert AuthToken.objects.count() == 1


def test_a_backup_code_works_in_place_of_the_app_code(api, bob, frozen):
    enrol(bob)
    codes = services.mfa_backup_codes_renew(user=bob)

    assert token_for(api, "bob@example.org", otp=codes[3]).status_code == 200


def test_a_clinician_who_never_set_up_two_step_gets_400_on_otp(api, bob):
    response = token_for(api, "bob@example.org", otp="123456")

    assert response.status_code == 400
    assert "Set up two-step sign-in" in response.json()["otp"][0]


def test_a_patient_who_turned_on_two_step_needs_the_code_too(api, alice, frozen):
    device = enrol(alice)

    assert list(token_for(api, "alice@example.org").json()) == ["otp"]
    assert token_for(api, "alice@example.org", otp=current_code(device)).status_code == 200


def test_a_wrong_password_never_mentions_otp(api, bob, frozen):
    enrol(bob)

    response = token_for(api, "bob@example.org", password="not the password at all")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_signing_in_for_a_token_sends_the_signed_in_signal(api, alice):
    seen = []

    def receiver(sender, request, user, **kwargs):
        seen.append(user.pk)

    user_logged_in.connect(receiver)
    try:
        token_for(api, "alice@example.org")
    finally:
        user_logged_in.disconnect(receiver)

    assert seen == [alice.pk]


def test_a_clinicians_token_lapses_after_15_idle_minutes(api, bob, frozen):
    device = enrol(bob)
    sign_in_with_token(api, "bob@example.org", otp=current_code(device))

    frozen.shift(timedelta(minutes=14))
    assert api.get("/api/v1/me/").status_code == 200
    frozen.shift(timedelta(minutes=14))
    assert api.get("/api/v1/me/").status_code == 200  # renewed by the use before
    frozen.shift(timedelta(minutes=16))

    assert api.get("/api/v1/me/").status_code == 401


def test_a_clinicians_token_ends_after_12_hours_however_busy(api, bob, frozen):
    device = enrol(bob)
    sign_in_with_token(api, "bob@example.org", otp=current_code(device))

    for _ in range(11 * 6 + 5):  # every 10 minutes for 11 h 50 min
        frozen.shift(timedelta(minutes=10))
        assert api.get("/api/v1/me/").status_code == 200
    frozen.shift(timedelta(minutes=10, seconds=1))

    assert api.get("/api/v1/me/").status_code == 401


def test_a_patients_token_lasts_two_idle_weeks(api, alice, frozen):
    sign_in_with_token(api, "alice@example.org")

    frozen.shift(timedelta(days=13))
    assert api.get("/api/v1/me/").status_code == 200
    frozen.shift(timedelta(days=15))

    assert api.get("/api/v1/me/").status_code == 401


# Checking a token (patients.auth.TokenAuthentication, one query) ----------------------------


def test_a_token_whose_key_matches_but_whose_secret_does_not_is_refused(api, alice):
    token = token_for(api, "alice@example.org").json()["token"]
    forged = token[:15] + ("0" if token[15] != "0" else "1") + token[16:]
    api.credentials(HTTP_AUTHORIZATION=f"Token {forged}")

    assert api.get("/api/v1/me/").status_code == 401


def test_a_lapsed_token_is_refused_and_deleted(api, alice, frozen):
    sign_in_with_token(api, "alice@example.org")
    frozen.shift(timedelta(days=31))

    assert api.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=alice).exists()


def test_a_deactivated_persons_token_is_refused(api, alice):
    sign_in_with_token(api, "alice@example.org")
    # Behind the model's back (a deactivation through it deletes the tokens as well).
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)

    assert api.get("/api/v1/me/").status_code == 401


def test_the_token_brings_the_whole_person_in_the_same_query(api, alice):
    sign_in_with_token(api, "alice@example.org")

    with CaptureQueriesContext(connection) as queries:
        me = api.get("/api/v1/me/")

    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.org"
    token_queries = [q["sql"] for q in queries if "knox_authtoken" in q["sql"]]
    assert len(token_queries) == 1
    # No second read of the person: every column came with the token.
    assert not [q for q in queries if q["sql"].split(" WHERE ")[0].endswith('FROM "patients_user"')]


def test_a_patients_profile_comes_with_the_token_and_a_clinician_is_known_to_have_none(alice, bob):
    """Most patient calls need the zone or the journal's version (tests/journals/
    test_api_list_cache.py): the token's query reads them with the person."""
    checked = {}
    for person in (alice, bob):
        token = token_create(person)[1]
        user, _ = TokenAuthentication().authenticate_credentials(token.encode())
        with CaptureQueriesContext(connection) as queries:
            profile = getattr(user, "patient_profile", None)
        assert not queries.captured_queries
        checked[person.email] = profile

    assert checked["alice@example.org"] == alice.patient_profile
    assert checked["alice@example.org"].zone == alice.patient_profile.zone
    assert checked["alice@example.org"].user is not None
    assert checked["bob@example.org"] is None
