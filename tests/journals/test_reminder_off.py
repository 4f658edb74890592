"""The link in every reminder email turns that reminder off without signing in: a GET only
shows the button (mail scanners open links); a POST, or a mail client's one-click POST
(RFC 8058), turns it off."""

import pytest
from django.test import Client

from journals.models import ReminderKind, ReminderSettings
from journals.reminders.compose import unsubscribe_token, unsubscribe_url
from journals.reminders.services import reminder_settings_get

pytestmark = pytest.mark.django_db


def _path(person, kind: str) -> str:
    return f"/reminders/off/{unsubscribe_token(person, kind)}/"


def _settings(patient) -> ReminderSettings:
    return reminder_settings_get(patient=patient)


def test_opening_the_link_shows_a_button_and_changes_nothing(alice):
    response = Client().get(_path(alice, ReminderKind.EVENING))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Turn off evening check-in reminders?" in page
    assert '<form method="post"' in page
    assert alice.email not in page
    assert "no-store" in response["Cache-Control"]
    assert _settings(alice).evening_enabled is True


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (ReminderKind.EVENING, "evening_enabled"),
        (ReminderKind.MORNING, "morning_enabled"),
        (ReminderKind.FOLLOW_UP, "follow_up_enabled"),
    ],
)
def test_the_button_turns_off_that_reminder_only(alice, kind, field):
    response = Client(enforce_csrf_checks=True).post(_path(alice, kind))

    assert response.status_code == 200
    assert "are off" in response.content.decode()
    stored = _settings(alice)
    switches = {
        f: getattr(stored, f) for f in ("evening_enabled", "morning_enabled", "follow_up_enabled")
    }
    assert switches == {f: f != field for f in switches}


def test_a_mail_clients_one_click_post_turns_it_off_without_cookie_or_token(alice):
    response = Client(enforce_csrf_checks=True).post(
        _path(alice, ReminderKind.MORNING),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert _settings(alice).morning_enabled is False


def test_the_digest_link_turns_off_the_clinicians_digest(bob):
    Client().post(_path(bob, ReminderKind.DIGEST))

    bob.clinician_profile.refresh_from_db()
    assert bob.clinician_profile.digest_enabled is False


def test_the_url_carries_the_site_address(alice, settings):
    assert unsubscribe_url(alice, ReminderKind.EVENING).startswith(
        f"{settings.SITE_URL}/reminders/off/"
    )


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        lambda alice, bob: unsubscribe_token(alice, "evening")[:-2] + "xx",  # tampered
        lambda alice, bob: unsubscribe_token(bob, "evening"),  # a clinician has no evening one
        lambda alice, bob: unsubscribe_token(alice, "digest"),  # nor a patient a digest
        lambda alice, bob: unsubscribe_token(alice, "weekly"),  # no such reminder
    ],
)
def test_a_forged_or_mismatched_link_is_404_and_changes_nothing(alice, bob, token):
    token = token(alice, bob) if callable(token) else token

    for method in ("get", "post"):
        assert getattr(Client(), method)(f"/reminders/off/{token}/").status_code == 404

    assert _settings(alice).evening_enabled is True
    bob.clinician_profile.refresh_from_db()
    assert bob.clinician_profile.digest_enabled is True


def test_a_deactivated_persons_link_is_404(alice):
    path = _path(alice, ReminderKind.EVENING)
    alice.is_active = False
    alice.save()

    assert Client().post(path).status_code == 404
