"""In a real browser: a clinician with no authenticator sets one up from the QR page right
after the password; a patient turns two-step sign-in on from Settings."""

import re

import pytest
from playwright.sync_api import Page, expect

from patients.models import Authenticator
from tests.auth.helpers import code_at
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def password_step(page: Page, email: str) -> None:
    page.goto("/signin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_new_clinician_sets_up_the_authenticator_and_sees_backup_codes(page: Page, check, bob):
    password_step(page, "bob@example.org")

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.locator("svg.qr-code")).to_be_visible()
    check(page, "qr")
    device = Authenticator.objects.get(user=bob)
    page.get_by_label("Code").fill(code_at(device.bin_key.hex()))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.locator(".backup-codes li")).to_have_count(10)
    check(page, "backup-codes")
    page.get_by_role("link", name="I have saved my codes").click()
    expect(page).to_have_url(re.compile(r"/clinic/$"))


def test_a_patient_turns_on_two_step_sign_in_from_settings(page: Page, check, alice):
    password_step(page, "alice@example.org")
    page.goto("/settings/")
    page.get_by_role("link", name=re.compile("^Sign-in and security")).click()

    expect(page.locator("svg.qr-code")).to_be_visible()
    check(page, "security")
    device = Authenticator.objects.get(user=alice)
    page.get_by_label("Code").fill(code_at(device.bin_key.hex()))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    page.get_by_role("link", name="I have saved my codes").click()
    expect(page.get_by_text("Two-step sign-in is on")).to_be_visible()
    check(page, "security-on")
