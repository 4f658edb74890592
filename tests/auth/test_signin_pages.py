"""Signing in on the pages: password, then the code (or setting up an authenticator)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from patients.mfa import backup_code_digests
from patients.models import Authenticator, User
from tests.auth.helpers import (
    CODE_URL,
    SETUP_URL,
    code_at,
    current_code,
    enrol,
    password_step,
)
from tests.conftest import Client, client_for
from tests.factories import PASSWORD

NOW = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def signals():
    seen: list[tuple[str, dict]] = []

    def logged_in(sender, request, user, **kwargs):
        seen.append(("in", {"user": user}))

    def failed(sender, credentials, request=None, **kwargs):
        seen.append(("failed", credentials))

    user_logged_in.connect(logged_in)
    user_login_failed.connect(failed)
    yield seen
    user_logged_in.disconnect(logged_in)
    user_login_failed.disconnect(failed)


def test_a_patient_without_two_step_signs_in_with_the_password_alone(alice):
    client = Client()

    response = password_step(client, "alice@example.org")

    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/today/"


def test_the_session_id_changes_at_sign_in(alice):
    client = Client()
    client.get("/signin/")
    client.session.save()
    before = client.session.session_key

    password_step(client, "alice@example.org")

    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_clinician_with_an_authenticator_is_not_signed_in_by_the_password_alone(bob, frozen):
    enrol(bob)
    client = Client()

    response = password_step(client, "bob@example.org")

    assert response["Location"] == CODE_URL
    assert client.get("/clinic/")["Location"].startswith("/signin/")
    assert "_auth_user_id" not in client.session


def test_the_right_code_signs_the_clinician_in_and_sends_one_signed_in_signal(bob, frozen, signals):
    device = enrol(bob)
    client = Client()
    password_step(client, "bob@example.org", next="/clinic/")

    response = client.post(CODE_URL, {"code": current_code(device)})

    assert response.status_code == 302
    assert client.get("/clinic/").status_code == 200
    assert [kind for kind, _ in signals] == ["in"]


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(bob, frozen, signals):
    device = enrol(bob)
    client = Client()
    password_step(client, "bob@example.org")
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(CODE_URL, {"code": wrong})

    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert signals == [("failed", {"username": "bob@example.org"})]
    assert client.get("/clinic/")["Location"].startswith("/signin/")


def test_a_code_works_once_a_replay_in_the_same_time_step_is_refused(bob, frozen):
    device = enrol(bob)
    code = current_code(device)
    first = Client()
    password_step(first, "bob@example.org")
    assert first.post(CODE_URL, {"code": code}).status_code == 302

    second = Client()
    password_step(second, "bob@example.org")
    frozen.shift(timedelta(seconds=5))  # same 30-second step: the code is still "current"
    replay = second.post(CODE_URL, {"code": code})

    assert replay.status_code == 200
    assert second.get("/clinic/")["Location"].startswith("/signin/")


def test_the_next_code_works_after_one_was_used(bob, frozen):
    device = enrol(bob)
    client = Client()
    password_step(client, "bob@example.org")
    client.post(CODE_URL, {"code": current_code(device)})
    client.post("/signout/")

    frozen.shift(timedelta(seconds=30))
    password_step(client, "bob@example.org")

    assert client.post(CODE_URL, {"code": current_code(device)}).status_code == 302


def test_a_backup_code_signs_in_once(bob, frozen):
    from patients import services

    enrol(bob)
    codes = services.mfa_backup_codes_renew(user=bob)
    first = Client()
    password_step(first, "bob@example.org")
    assert first.post(CODE_URL, {"code": codes[0].upper()}).status_code == 302

    frozen.shift(timedelta(minutes=1))
    second = Client()
    password_step(second, "bob@example.org")
    again = second.post(CODE_URL, {"code": codes[0]})

    assert again.status_code == 200
    assert StaticToken.objects.filter(device__user=bob).count() == 9


def test_the_code_step_without_a_password_first_goes_back_to_sign_in(bob):
    enrol(bob)

    assert Client().post(CODE_URL, {"code": "123456"})["Location"] == "/signin/"


def test_a_password_step_left_waiting_expires_after_ten_minutes(bob, frozen):
    device = enrol(bob)
    client = Client()
    password_step(client, "bob@example.org")

    frozen.shift(timedelta(minutes=10, seconds=30))
    response = client.post(CODE_URL, {"code": current_code(device)})

    assert response["Location"] == "/signin/"
    assert client.get("/clinic/")["Location"].startswith("/signin/")


# A clinician without an authenticator ---------------------------------------------------


def test_a_clinician_without_an_authenticator_is_sent_to_set_one_up_and_nothing_else(bob, frozen):
    client = Client()

    response = password_step(client, "bob@example.org")

    assert response["Location"] == SETUP_URL
    page = client.get(SETUP_URL).content.decode()
    assert "<svg" in page
    assert "otpauth" not in page  # the QR code is drawn here, not fetched with the secret
    device = Authenticator.objects.get(user=bob)
    assert not device.confirmed
    assert re.sub(r"\s", "", _secret_shown(page)) == _base32(device.bin_key.hex())
    for path in ("/clinic/", "/account/security/", "/api/v1/me/"):
        assert client.get(path).status_code in (302, 401)


def test_setting_up_with_the_first_code_signs_in_and_shows_ten_backup_codes_once(bob, frozen):
    client = Client()
    password_step(client, "bob@example.org")
    client.get(SETUP_URL)
    device = Authenticator.objects.get(user=bob)

    response = client.post(SETUP_URL, {"code": code_at(device.bin_key.hex())})

    assert response.status_code == 200
    shown = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())
    assert len(shown) == 10
    assert set(StaticToken.objects.filter(device__user=bob).values_list("token", flat=True)) == {
        backup_code_digests(code.replace("-", ""))[0] for code in shown
    }
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/clinic/").status_code == 200
    # Shown once: the security page says how many are left, not which.
    assert shown[0] not in client.get("/account/security/").content.decode()


def test_setting_up_with_a_wrong_code_leaves_the_clinician_signed_out(bob, frozen):
    client = Client()
    password_step(client, "bob@example.org")
    client.get(SETUP_URL)

    response = client.post(SETUP_URL, {"code": "000000"})

    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not Authenticator.objects.get(user=bob).confirmed
    assert client.get("/clinic/")["Location"].startswith("/signin/")


def test_a_session_that_skipped_the_second_step_is_signed_out(bob):
    client = Client()
    client.force_login(bob)  # as the admin's own login form would

    assert client.get("/clinic/")["Location"].startswith("/signin/")
    assert "_auth_user_id" not in client.session


# Patients turn it on in Settings -----------------------------------------------------------


def test_a_patient_turns_on_two_step_sign_in_from_settings(alice, frozen):
    client = Client()
    password_step(client, "alice@example.org")
    assert "Sign-in and security" in client.get("/settings/").content.decode()
    assert "<svg" in client.get("/account/security/").content.decode()
    device = Authenticator.objects.get(user=alice)

    response = client.post("/account/security/", {"code": code_at(device.bin_key.hex())})

    assert response.status_code == 200
    assert "Your backup codes" in response.content.decode()
    assert client.get("/today/").status_code == 200  # this session passed the step
    client.post("/signout/")
    frozen.shift(timedelta(seconds=30))
    assert password_step(client, "alice@example.org")["Location"] == CODE_URL


def _secret_shown(page: str) -> str:
    match = re.search(r'<code class="secret">([^<]+)</code>', page)
    assert match, "the key is shown as text"
    return match.group(1)


def _base32(key_hex: str) -> str:
    from base64 import b32encode

    return b32encode(bytes.fromhex(key_hex)).decode()


def test_the_admins_own_login_form_sends_staff_to_the_two_step_sign_in(bob):
    bob.is_staff = True
    bob.save(update_fields=["is_staff"])
    client = Client()

    shown = client.get("/admin/login/?next=/admin/patients/")
    posted = client.post("/admin/login/", {"username": bob.email, "password": PASSWORD})

    assert shown.status_code == 302
    assert shown["Location"] == "/signin/?next=/admin/patients/"
    assert posted["Location"] == "/signin/?next=/admin/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_someone_signed_in_who_is_not_staff_gets_a_404_from_the_admin_not_a_loop(request, who):
    client = client_for(request.getfixturevalue(who))

    sent = client.get("/admin/")
    answer = client.get(sent["Location"])

    assert sent["Location"] == "/admin/login/?next=/admin/"
    assert answer.status_code == 404


def test_staff_signed_in_with_both_steps_open_the_admin(bob, frozen):
    bob.is_staff = True
    bob.save(update_fields=["is_staff"])
    device = enrol(bob)
    client = Client()

    password_step(client, "bob@example.org")
    client.post(CODE_URL, {"code": current_code(device)})

    assert client.get("/admin/").status_code == 200


def test_a_superuser_made_by_createsuperuser_sets_up_the_second_step_and_reaches_the_admin(
    db,
    frozen,
):
    """No clinic and no clinician profile: the account `manage.py createsuperuser` makes."""
    User.objects.create_superuser("root@example.org", PASSWORD)
    client = Client()

    to_signin = client.get(client.get("/admin/")["Location"])["Location"]
    to_setup = client.post(to_signin, {"username": "root@example.org", "password": PASSWORD})
    page = client.get(SETUP_URL)
    device = Authenticator.objects.get(user__email="root@example.org")
    signed_in = client.post(SETUP_URL, {"code": code_at(device.bin_key.hex())})

    assert to_signin == "/signin/?next=/admin/"
    assert to_setup["Location"] == SETUP_URL
    assert page.status_code == 200
    assert signed_in.status_code == 200
    assert "Your backup codes" in signed_in.content.decode()
    assert client.get("/admin/").status_code == 200
    assert client.get("/clinic/").status_code == 200
    assert client.get("/api/v1/patients/").status_code == 200
