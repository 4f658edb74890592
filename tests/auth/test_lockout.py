"""Five failures lock an account from one address for 15 minutes; fifty lock the address.
Whatever the reason, a refused sign-in looks the same: no account enumeration."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.auth.helpers import CODE_URL, TOKEN_URL, current_code, enrol, normalized, password_step
from tests.conftest import Client
from tests.factories import PASSWORD, PatientFactory

NOW = timezone.now().replace(microsecond=0) + timedelta(days=1)
HERE, ELSEWHERE = "203.0.113.7", "198.51.100.9"
WRONG = "not the right password"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def page_attempt(email, password, address=HERE):
    client = Client(REMOTE_ADDR=address)
    return client, password_step(client, email, password)


def api_attempt(api, email, password, address=HERE):
    return api.post(
        TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=address
    )


def fail_five_times(email, address=HERE):
    for _ in range(5):
        _, response = page_attempt(email, WRONG, address)
        assert response.status_code == 200


# Per account and address ---------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_from_that_address(alice, frozen):
    fail_five_times("alice@example.org")

    client, response = page_attempt("alice@example.org", PASSWORD)

    assert response.status_code == 200  # the form again, not a sign-in
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_do_not_lock(alice, frozen):
    for _ in range(4):
        page_attempt("alice@example.org", WRONG)

    assert page_attempt("alice@example.org", PASSWORD)[1].status_code == 302


def test_the_locked_account_still_signs_in_from_another_address(alice, frozen):
    fail_five_times("alice@example.org")

    assert page_attempt("alice@example.org", PASSWORD, ELSEWHERE)[1].status_code == 302


def test_another_account_from_the_same_address_is_not_locked(alice, erin, frozen):
    fail_five_times("alice@example.org")

    assert page_attempt("erin@example.org", PASSWORD)[1].status_code == 302


def test_the_lock_lifts_after_15_minutes(alice, frozen):
    fail_five_times("alice@example.org")
    frozen.shift(timedelta(minutes=14))
    assert page_attempt("alice@example.org", PASSWORD)[1].status_code == 200

    frozen.shift(timedelta(minutes=16))

    assert page_attempt("alice@example.org", PASSWORD)[1].status_code == 302


def test_the_email_s_case_does_not_give_more_tries(alice, frozen):
    for email in ("ALICE@example.org", "Alice@Example.org", "alice@EXAMPLE.ORG"):
        page_attempt(email, WRONG)
    page_attempt("alice@example.org", WRONG)
    page_attempt("aLiCe@example.org", WRONG)

    assert page_attempt("alice@example.org", PASSWORD)[1].status_code == 200


def test_the_token_endpoint_locks_the_same_account_and_address(api, alice, frozen):
    for _ in range(3):
        api_attempt(api, "alice@example.org", WRONG)
    fail_five_times("alice@example.org")  # pages and API count together

    assert api_attempt(api, "alice@example.org", PASSWORD).status_code == 400
    assert api_attempt(api, "alice@example.org", PASSWORD, ELSEWHERE).status_code == 200


def test_wrong_codes_lock_too(bob, frozen):
    device = enrol(bob)
    client = Client(REMOTE_ADDR=HERE)
    password_step(client, "bob@example.org")
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        frozen.shift(timedelta(seconds=40))  # past django-otp's own growing delay
        client.post(CODE_URL, {"code": wrong})

    frozen.shift(timedelta(seconds=40))
    response = client.post(CODE_URL, {"code": current_code(device)})

    assert response["Location"] == "/signin/"
    assert client.get("/clinic/")["Location"].startswith("/signin/")
    assert page_attempt("bob@example.org", PASSWORD)[1].status_code == 200


def test_wrong_codes_sent_to_the_token_endpoint_lock_too(api, bob, frozen):
    device = enrol(bob)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        frozen.shift(timedelta(seconds=40))  # past django-otp's own growing delay
        response = api.post(
            TOKEN_URL,
            {"email": "bob@example.org", "password": PASSWORD, "otp": wrong},
            format="json",
            REMOTE_ADDR=HERE,
        )
        assert list(response.json()) == ["otp"]

    frozen.shift(timedelta(seconds=40))
    right = {"email": "bob@example.org", "password": PASSWORD, "otp": current_code(device)}
    locked = api.post(TOKEN_URL, right, format="json", REMOTE_ADDR=HERE)

    assert list(locked.json()) == ["non_field_errors"]


# Per address -----------------------------------------------------------------------------------


def test_fifty_failures_from_one_address_lock_that_address_for_every_account(riverside, frozen):
    for n in range(50):
        page_attempt(f"sprayed{n}@example.org", WRONG)
    PatientFactory(email="fresh@example.org", clinic=riverside)

    assert page_attempt("fresh@example.org", PASSWORD)[1].status_code == 200
    assert page_attempt("fresh@example.org", PASSWORD, ELSEWHERE)[1].status_code == 302


def test_the_address_limit_holds_for_the_token_endpoint(api, alice, frozen):
    for n in range(50):
        api_attempt(api, f"sprayed{n}@example.org", WRONG)

    assert api_attempt(api, "alice@example.org", PASSWORD).status_code == 400
    frozen.shift(timedelta(minutes=16))
    assert api_attempt(api, "alice@example.org", PASSWORD).status_code == 200


# No enumeration -----------------------------------------------------------------------------------


def test_unknown_email_wrong_password_and_locked_account_look_the_same_on_the_page(
    alice, erin, frozen
):
    fail_five_times("erin@example.org")

    _, unknown = page_attempt("nobody@example.org", WRONG)
    _, wrong = page_attempt("alice@example.org", WRONG)
    _, locked = page_attempt("erin@example.org", PASSWORD)

    assert unknown.status_code == wrong.status_code == locked.status_code == 200
    assert (
        normalized(unknown.content, "nobody@example.org")
        == normalized(wrong.content, "alice@example.org")
        == normalized(locked.content, "erin@example.org")
    )


def test_unknown_email_wrong_password_and_locked_account_look_the_same_to_the_api(
    api, alice, erin, frozen
):
    for _ in range(5):
        api_attempt(api, "erin@example.org", WRONG)

    unknown = api_attempt(api, "nobody@example.org", WRONG)
    wrong = api_attempt(api, "alice@example.org", WRONG)
    locked = api_attempt(api, "erin@example.org", PASSWORD)

    assert unknown.status_code == wrong.status_code == locked.status_code == 400
    assert unknown.content == wrong.content == locked.content


def test_a_locked_clinician_gets_no_hint_about_the_code_either(api, bob, frozen):
    enrol(bob)
    for _ in range(5):
        api_attempt(api, "bob@example.org", WRONG)

    locked = api_attempt(api, "bob@example.org", PASSWORD)

    assert list(locked.json()) == ["non_field_errors"]
