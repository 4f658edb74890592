"""Sign in and out, password reset, settings, care team and the clinician's list, as pages."""

import re
from datetime import time

import pytest
from django.test import Client

from journals.models import ReminderSettings
from patients.models import AuditEvent
from tests.auth.helpers import current_code, enrol
from tests.conftest import client_for
from tests.factories import PASSWORD


def test_signing_in_with_the_right_password_lands_a_patient_on_today(alice):
    client = Client()
    response = client.post("/signin/", {"username": "Alice@Example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == "/today/"


def test_signing_in_lands_a_clinician_on_their_patients(bob):
    device = enrol(bob)  # clinicians sign in in two steps (tests/auth)
    client = Client()
    client.post("/signin/", {"username": "bob@example.org", "password": PASSWORD})
    client.post("/signin/code/", {"code": current_code(device)})

    assert client.get("/")["Location"] == "/clinic/"


def test_a_wrong_password_and_an_unknown_email_read_the_same(alice):
    wrong = Client().post("/signin/", {"username": "alice@example.org", "password": "nope nope"})
    unknown = Client().post("/signin/", {"username": "zed@example.org", "password": PASSWORD})

    assert wrong.status_code == unknown.status_code == 200
    message = "That email and password do not match an account."
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()


def test_signing_out_ends_the_session(alice):
    client = client_for(alice)

    assert client.post("/signout/")["Location"] == "/signin/"
    assert client.get("/today/")["Location"].startswith("/signin/")


def test_opening_the_signout_address_asks_and_signs_no_one_out(alice):
    client = client_for(alice)

    response = client.get("/signout/")

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<main.*<form method="post" action="/signout/">', page, re.DOTALL)
    assert 'name="csrfmiddlewaretoken"' in page
    assert client.get("/today/").status_code == 200


def test_opening_the_signout_address_signed_out_goes_to_sign_in(db):
    assert Client().get("/signout/")["Location"] == "/signin/"


PATIENT_FOOTER = "Mitra records your journal and shares it with your care team."
CARE_TEAM_FOOTER = "Mitra records patients' journals and shows them to their care teams."


def test_the_footer_tells_patients_of_their_journal_and_clinicians_of_patients_journals(alice, bob):
    patient_page = client_for(alice).get("/settings/").content.decode()
    clinician_page = client_for(bob).get("/clinic/settings/").content.decode()

    assert PATIENT_FOOTER in patient_page
    assert CARE_TEAM_FOOTER not in patient_page
    assert CARE_TEAM_FOOTER in clinician_page
    assert "It never gives dosing advice." in clinician_page
    assert PATIENT_FOOTER not in clinician_page


def test_password_reset_answers_the_same_for_known_and_unknown_emails(alice, mailoutbox):
    known = Client().post("/password-reset/", {"email": "alice@example.org"})
    unknown = Client().post("/password-reset/", {"email": "zed@example.org"})

    assert known["Location"] == unknown["Location"] == "/password-reset/sent/"
    [mail] = mailoutbox
    assert mail.to == ["alice@example.org"]


def test_the_reset_link_sets_a_new_password(alice, mailoutbox):
    Client().post("/password-reset/", {"email": "alice@example.org"})
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", mailoutbox[0].body).group(1)
    client = Client()
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker

    client.post(
        form_url,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )

    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase")


def test_settings_save_name_time_zone_and_reminders(alice):
    response = client_for(alice).post(
        "/settings/",
        {
            "profile-display_name": "Alice B.",
            "profile-timezone": "America/Denver",
            "reminders-evening_enabled": "on",
            "reminders-evening_time": "21:30",
            "reminders-morning_time": "07:15",
            "reminders-quiet_start": "22:00",
            "reminders-quiet_end": "06:30",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.patient_profile.timezone) == ("Alice B.", "America/Denver")
    reminders = ReminderSettings.objects.get(patient=alice)
    assert reminders.evening_time == time(21, 30)
    assert reminders.morning_enabled is False


def test_the_time_zone_box_offers_the_names_of_places_as_one_types(alice):
    page = client_for(alice).get("/settings/").content.decode()

    box = re.search(r'<input[^>]*name="profile-timezone"[^>]*>', page).group(0)
    names = re.search(r'<datalist id="id_profile-timezone-names">(.*?)</datalist>', page).group(1)
    assert 'list="id_profile-timezone-names"' in box
    assert '<option value="Europe/London">' in names
    assert '<option value="UTC">' in names
    assert 'value="EST"' not in names


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("profile-timezone", "Mars/Base"),
        ("profile-timezone", "EST"),  # a fixed offset: an hour off all summer
        ("reminders-evening_time", "25:99"),
    ],
)
def test_bad_settings_keep_what_was_typed_and_change_nothing(alice, field, value):
    form = {
        "profile-display_name": "Typed name",
        "profile-timezone": "Europe/Berlin",
        "reminders-evening_time": "21:00",
        "reminders-morning_time": "08:00",
        "reminders-quiet_start": "23:00",
        "reminders-quiet_end": "07:00",
        field: value,
    }

    response = client_for(alice).post("/settings/", form)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Typed name"' in page
    assert 'aria-invalid="true"' in page
    alice.refresh_from_db()
    assert (alice.display_name, alice.patient_profile.timezone) == ("Alice", "Europe/Berlin")
    reminders = ReminderSettings.objects.get(patient=alice)
    assert (reminders.evening_time, reminders.morning_time) == (time(21, 0), time(8, 0))


def test_care_team_page_lists_the_clinicians_and_their_state(alice, alice_team):
    page = client_for(alice).get("/settings/care-team/").content.decode()

    assert "Dr Bob" in page
    assert "Stop sharing with Dr Bob" in page


def test_revoking_on_the_page_refuses_the_clinician_at_once(alice, bob, alice_team):
    response = client_for(alice).post(f"/settings/care-team/{alice_team.pk}/revoke/")

    assert response["Location"] == "/settings/care-team/"
    assert client_for(bob).get(f"/api/v1/patients/{alice.pk}/").status_code == 404
    assert (
        "Share again with Dr Bob" in client_for(alice).get("/settings/care-team/").content.decode()
    )


def test_restoring_on_the_page_gives_sight_back(alice, bob, alice_team):
    client = client_for(alice)
    client.post(f"/settings/care-team/{alice_team.pk}/revoke/")

    client.post(f"/settings/care-team/{alice_team.pk}/restore/")

    assert client_for(bob).get(f"/api/v1/patients/{alice.pk}/").status_code == 200


def test_an_unknown_consent_change_is_404(alice, alice_team):
    response = client_for(alice).post(f"/settings/care-team/{alice_team.pk}/delete/")

    assert response.status_code == 404


def test_the_clinician_list_shows_consenting_patients_and_audits_the_read(
    alice, erin, bob, alice_team
):
    page = client_for(bob).get("/clinic/").content.decode()

    assert "alice@example.org" in page
    assert "erin@example.org" not in page
    assert AuditEvent.objects.filter(actor=bob, patient=alice).count() == 1
