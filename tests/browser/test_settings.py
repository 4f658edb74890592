"""In a real browser: settings, and who can see my journal (consent revoke and restore)."""

import re

import pytest
from playwright.sync_api import expect

from patients.models import User
from patients.permissions import patients_visible_to

pytestmark = pytest.mark.browser


def test_settings_are_saved(alice_page, check, alice):
    page = alice_page
    page.goto("/settings/")
    check(page, "form")

    page.get_by_label("Display name").fill("Alice Liddell")
    page.get_by_label("Evening reminder at").fill("21:30")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.get_by_label("Display name")).to_have_value("Alice Liddell")
    expect(page.get_by_label("Evening reminder at")).to_have_value("21:30")
    check(page, "saved")
    alice.refresh_from_db()
    assert alice.display_name == "Alice Liddell"


def test_a_settings_error_sits_next_to_its_field_and_keeps_what_was_typed(alice_page, check, alice):
    page = alice_page
    page.goto("/settings/")

    page.get_by_label("Display name").fill("Alice Liddell")
    page.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    page.get_by_role("button", name="Save settings").click()

    time_zone = page.get_by_label("Time zone")
    expect(time_zone).to_have_attribute("aria-invalid", "true")
    expect(time_zone).to_have_accessible_description(
        re.compile("Enter an IANA time zone name such as Europe/Berlin")
    )
    expect(time_zone).to_have_value("Mars/Olympus_Mons")
    expect(page.get_by_label("Display name")).to_have_value("Alice Liddell")
    check(page, "error")
    assert User.objects.get(pk=alice.pk).display_name == "Alice"


def test_revoking_consent_hides_my_journal_from_that_clinician_at_once_and_restoring_undoes_it(
    alice_page, check, alice, bob, alice_team
):
    page = alice_page
    page.goto("/settings/")
    page.get_by_role("link", name="Care team: who can see my journal").click()
    expect(page.get_by_role("heading", name="Dr Bob")).to_be_visible()
    check(page, "sharing")

    page.get_by_role("button", name="Stop sharing with Dr Bob").click()

    expect(page.get_by_role("status")).to_have_text("Dr Bob can no longer see your journal.")
    expect(page.get_by_role("button", name="Share again with Dr Bob")).to_be_visible()
    check(page, "revoked")
    assert not patients_visible_to(bob).filter(pk=alice.pk).exists()

    page.get_by_role("button", name="Share again with Dr Bob").click()

    expect(page.get_by_role("status")).to_have_text("Dr Bob can see your journal again.")
    expect(page.get_by_role("button", name="Stop sharing with Dr Bob")).to_be_visible()
    assert patients_visible_to(bob).filter(pk=alice.pk).exists()
