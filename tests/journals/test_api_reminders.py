"""GET, PUT and PATCH /api/v1/reminder-settings/: the settings page's reminders, by API."""

from datetime import time

import pytest

from journals.models import ReminderSettings
from tests.conftest import client_for

URL = "/api/v1/reminder-settings/"
DEFAULTS = {
    "evening_enabled": True,
    "evening_time": "21:00",
    "morning_enabled": True,
    "morning_time": "08:00",
    "quiet_start": "23:00",
    "quiet_end": "07:00",
    "follow_up_enabled": True,
}


def test_a_patient_who_never_chose_gets_the_defaults(alice):
    response = client_for(alice).get(URL)

    assert response.status_code == 200
    assert response.json() == DEFAULTS


def test_put_takes_the_six_fields_of_the_documented_body_and_keeps_the_follow_up_switch(alice):
    client = client_for(alice)
    client.patch(URL, {"follow_up_enabled": False})
    body = {k: v for k, v in DEFAULTS.items() if k != "follow_up_enabled"}

    response = client.put(URL, {**body, "evening_time": "22:10"})

    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "evening_time": "22:10", "follow_up_enabled": False}


def test_patch_changes_only_the_given_fields(alice):
    response = client_for(alice).patch(URL, {"evening_time": "20:15", "morning_enabled": False})

    assert response.json() == {**DEFAULTS, "evening_time": "20:15", "morning_enabled": False}
    stored = ReminderSettings.objects.get(patient=alice)
    assert (stored.evening_time, stored.morning_enabled) == (time(20, 15), False)


def test_put_replaces_them_all(alice):
    body = {**DEFAULTS, "morning_time": "06:45", "quiet_start": "22:00"}

    response = client_for(alice).put(URL, body)

    assert response.status_code == 200
    assert response.json() == body


def test_put_without_every_field_is_400(alice):
    response = client_for(alice).put(URL, {"evening_time": "20:00"})

    assert response.status_code == 400
    assert "morning_time" in response.json()


@pytest.mark.parametrize("value", ["25:00", "9pm", "", None])
def test_a_time_that_is_not_a_clock_time_is_400_and_changes_nothing(alice, value):
    response = client_for(alice).patch(URL, {"evening_time": value})

    assert response.status_code == 400
    assert "evening_time" in response.json()
    assert client_for(alice).get(URL).json() == DEFAULTS


def test_the_settings_page_and_the_api_share_one_record(alice):
    client_for(alice).patch(URL, {"evening_time": "19:45"})

    page = client_for(alice).get("/settings/").content.decode()

    assert 'value="19:45"' in page
