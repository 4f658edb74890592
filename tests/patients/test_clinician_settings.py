"""A clinician sets their name, the zone of their morning digest and the digest switch."""

from tests.conftest import client_for

URL = "/clinic/settings/"


def test_the_page_shows_the_current_settings(bob):
    page = client_for(bob).get(URL).content.decode()

    assert 'value="UTC"' in page
    assert 'name="digest_enabled"' in page
    assert "checked" in page


def test_saving_changes_zone_and_switch(bob):
    response = client_for(bob).post(
        URL, {"display_name": "Dr Bob B", "timezone": "America/Chicago"}
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    profile = bob.clinician_profile
    profile.refresh_from_db()
    assert (bob.display_name, profile.timezone, profile.digest_enabled) == (
        "Dr Bob B",
        "America/Chicago",
        False,  # an unticked box
    )


def test_a_zone_that_is_not_iana_is_refused_and_nothing_changes(bob):
    response = client_for(bob).post(
        URL, {"display_name": "Changed", "timezone": "CEST", "digest_enabled": "on"}
    )

    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    bob.refresh_from_db()
    assert bob.display_name == "Dr Bob"
    assert bob.clinician_profile.timezone == "UTC"
