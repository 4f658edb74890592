"""Session limits by role, and what ends a person's sessions and API tokens."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone
from knox.models import AuthToken

from patients.auth import token_create
from tests.auth.helpers import current_code, enrol, password_step
from tests.conftest import Client, client_for

NOW = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def signed_in(client) -> bool:
    """Home sends the signed-in to their side and everyone else to sign in."""
    return not client.get("/")["Location"].startswith("/signin/")


def clinician_client(bob):
    device = enrol(bob)
    client = Client()
    password_step(client, "bob@example.org")
    client.post("/signin/code/", {"code": current_code(device)})
    assert signed_in(client)
    return client


def sessions_of(user) -> int:
    return sum(
        1
        for session in Session.objects.all()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    )


# Idle and absolute limits ---------------------------------------------------------------


def test_a_clinician_is_signed_out_after_15_idle_minutes(bob, frozen):
    client = clinician_client(bob)
    frozen.shift(timedelta(minutes=14))
    assert signed_in(client)

    frozen.shift(timedelta(minutes=15, seconds=1))

    assert not signed_in(client)


def test_a_clinician_stays_signed_in_while_active(bob, frozen):
    client = clinician_client(bob)
    for _ in range(6):
        frozen.shift(timedelta(minutes=10))
        assert signed_in(client)


def test_a_clinician_is_signed_out_after_12_hours_however_active(bob, frozen):
    client = clinician_client(bob)
    for _ in range(11 * 6 + 5):  # every 10 minutes for 11 h 50 min
        frozen.shift(timedelta(minutes=10))
        assert signed_in(client)

    frozen.shift(timedelta(minutes=10, seconds=1))

    assert not signed_in(client)


def test_a_patient_keeps_a_session_through_13_idle_days_but_not_15(alice, frozen):
    client = Client()
    password_step(client, "alice@example.org")
    frozen.shift(timedelta(days=13))
    assert signed_in(client)

    frozen.shift(timedelta(days=14, seconds=1))

    assert not signed_in(client)


def test_a_patient_is_signed_out_after_30_days_however_active(alice, frozen):
    client = Client()
    password_step(client, "alice@example.org")
    for _ in range(29):
        frozen.shift(timedelta(days=1))
        assert signed_in(client)

    frozen.shift(timedelta(days=1, seconds=1))

    assert not signed_in(client)


def test_a_clinicians_session_cookie_lapses_with_the_idle_limit(bob, frozen):
    client = clinician_client(bob)

    assert client.session.get_expiry_age() == 15 * 60


# What ends sessions and tokens ------------------------------------------------------------------


def test_signing_out_ends_that_persons_other_sessions_and_tokens_too(alice, erin, frozen):
    here, there, someone_else = Client(), Client(), Client()
    password_step(here, "alice@example.org")
    password_step(there, "alice@example.org")
    password_step(someone_else, "erin@example.org")
    token_create(alice)
    token_create(erin)

    response = here.post("/signout/")

    assert response["Location"] == "/signin/"
    assert not signed_in(here)
    assert not signed_in(there)
    assert signed_in(someone_else)
    assert list(AuthToken.objects.values_list("user", flat=True)) == [erin.pk]


def test_revoking_the_api_token_signs_that_person_out_everywhere(alice, erin, frozen):
    browser = Client()
    password_step(browser, "alice@example.org")
    _, token = token_create(alice)
    token_create(alice)
    token_create(erin)

    response = Client().delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 204
    assert not signed_in(browser)
    assert list(AuthToken.objects.values_list("user", flat=True)) == [erin.pk]


def test_sign_out_everywhere_ends_every_session_and_token(alice, erin, frozen):
    here, there, someone_else = Client(), Client(), Client()
    password_step(here, "alice@example.org")
    password_step(there, "alice@example.org")
    password_step(someone_else, "erin@example.org")
    token_create(alice)
    token_create(alice)
    token_create(erin)

    response = here.post("/signout/everywhere/")

    assert response["Location"] == "/signin/"
    assert not signed_in(here)
    assert not signed_in(there)
    assert sessions_of(alice) == 0
    assert not AuthToken.objects.filter(user=alice).exists()
    assert signed_in(someone_else)
    assert AuthToken.objects.filter(user=erin).count() == 1


def test_sign_out_everywhere_through_the_api(api, alice, frozen):
    browser = Client()
    password_step(browser, "alice@example.org")
    _, other = token_create(alice)
    _, mine = token_create(alice)
    api.credentials(HTTP_AUTHORIZATION=f"Token {mine}")

    assert api.post("/api/v1/auth/signout-everywhere/").status_code == 204

    assert api.get("/api/v1/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert api.get("/api/v1/me/").status_code == 401
    assert not signed_in(browser)


def test_a_password_change_ends_sessions_and_tokens(alice, frozen):
    client = Client()
    password_step(client, "alice@example.org")
    token_create(alice)

    alice.set_password("a brand new passphrase 2026")
    alice.save()

    assert not signed_in(client)
    assert sessions_of(alice) == 0
    assert not AuthToken.objects.filter(user=alice).exists()


def test_a_password_reset_by_email_ends_sessions_and_tokens(alice, frozen, mailoutbox):
    import re

    client = Client()
    password_step(client, "alice@example.org")
    token_create(alice)
    Client().post("/password-reset/", {"email": "alice@example.org"})
    link = re.search(r"/password-reset/\S+/\S+/", mailoutbox[0].body).group(0)
    resetter = Client()
    form_url = resetter.get(link)["Location"]

    resetter.post(
        form_url,
        {
            "new_password1": "a brand new passphrase 2026",
            "new_password2": "a brand new passphrase 2026",
        },
    )

    assert not AuthToken.objects.filter(user=alice).exists()
    assert not signed_in(client)


def test_deactivation_ends_sessions_and_tokens(alice, frozen):
    client = Client()
    password_step(client, "alice@example.org")
    token_create(alice)

    alice.is_active = False
    alice.save()

    assert sessions_of(alice) == 0
    assert not AuthToken.objects.filter(user=alice).exists()
    assert not signed_in(client)


def test_saving_a_profile_change_keeps_sessions_and_tokens(alice, frozen):
    client = Client()
    password_step(client, "alice@example.org")
    token_create(alice)

    alice.display_name = "Alice L."
    alice.save()

    assert signed_in(client)
    assert AuthToken.objects.filter(user=alice).count() == 1


def test_turning_on_two_step_ends_the_sessions_and_tokens_made_without_it(alice, frozen):
    from patients.models import Authenticator
    from tests.auth.helpers import code_at

    here, there = Client(), Client()
    password_step(here, "alice@example.org")
    password_step(there, "alice@example.org")
    token_create(alice)
    here.get("/account/security/")

    device = Authenticator.objects.get(user=alice)
    here.post("/account/security/", {"code": code_at(device.bin_key.hex())})

    assert signed_in(here)
    assert not signed_in(there)
    assert not AuthToken.objects.filter(user=alice).exists()


def test_client_for_gives_clinicians_a_session_through_the_second_step(bob):
    assert client_for(bob).get("/clinic/").status_code == 200
