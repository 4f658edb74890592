"""In a real browser: signing in and out, resetting a password by email, the keyboard path
through the header, and the dark theme."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

GENERIC_ERROR = "That email and password do not match an account. Please try again."
NEW_PASSWORD = "a long enough passphrase"


def sign_in_with(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_wrong_password_or_unknown_email_shows_the_same_single_message(page, check, alice):
    page.goto("/signin/")
    check(page, "empty")

    sign_in_with(page, "alice@example.org", "not her password")

    expect(page).to_have_url(re.compile(r"/signin/$"))
    expect(page.get_by_role("main").get_by_text(GENERIC_ERROR)).to_have_count(1)
    expect(page.get_by_label("Email")).to_have_value("alice@example.org")
    check(page, "wrong-password")

    sign_in_with(page, "nobody@example.org", "not a password")

    expect(page.get_by_role("main").get_by_text(GENERIC_ERROR)).to_have_count(1)


def test_right_password_lands_on_today(page, check, alice):
    page.goto("/signin/")

    sign_in_with(page, "alice@example.org", PASSWORD)

    expect(page).to_have_url(re.compile(r"/today/$"))
    today_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Today")
    expect(today_link).to_have_attribute("aria-current", "page")
    check(page)


def test_signing_out_ends_the_session(alice_page, check):
    page = alice_page
    page.goto("/settings/")

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/signin/$"))
    check(page)
    page.goto("/today/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=/today/$"))


def test_a_typed_signout_address_asks_first_and_its_button_signs_out(alice_page, check):
    page = alice_page
    page.goto("/signout/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out")
    check(page)
    page.get_by_role("main").get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/signin/$"))
    page.goto("/today/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=/today/$"))


def test_password_reset_by_email_sets_a_new_password(page, check, alice, mailoutbox):
    page.goto("/signin/")
    page.get_by_role("link", name="Forgot your password?").click()
    check(page, "request")

    page.get_by_label("Email").fill("alice@example.org")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check(page, "sent")
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/password-reset/\S+/", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    check(page, "choose")
    page.get_by_label(re.compile(r"^New password:?$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()

    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    check(page, "done")
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    sign_in_with(page, "alice@example.org", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/today/$"))


def test_password_reset_for_an_unknown_email_looks_the_same(page, mailoutbox):
    page.goto("/password-reset/")

    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert mailoutbox == []


def test_tab_from_the_top_reaches_the_skip_link_first_then_the_main_nav(alice_page, check):
    page = alice_page
    page.goto("/settings/")
    nav = page.get_by_role("navigation", name="Main")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    check(page, "skip-link")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Mitra", exact=True)).to_be_focused()
    for name in ("Today", "History", "Trends", "Settings"):
        page.keyboard.press("Tab")
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("button", name="Sign out")).to_be_focused()


def test_the_skip_link_moves_focus_to_the_main_content(alice_page):
    page = alice_page
    page.goto("/settings/")

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate(
        "() => document.querySelector('main').contains(document.activeElement)"
    )
    assert focused_in_main


DARK_PAGES = [
    "/today/",
    "/checkin/evening/",
    "/checkin/morning/",
    "/history/",
    "/trends/",
    "/settings/",
    "/settings/care-team/",
]


@pytest.mark.parametrize("viewport", ["phone"])
def test_dark_theme_has_no_serious_accessibility_violations(
    new_context, sign_in, check, alice, alice_team, alice_history
):
    page = new_context(color_scheme="dark")
    page.goto("/signin/")
    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 22, 27)", "the dark palette did not apply"
    check(page, "signin")
    page.goto("/password-reset/")
    check(page, "password-reset")

    sign_in(page, alice)
    for path in DARK_PAGES:
        page.goto(path)
        check(page, path.strip("/").replace("/", "-"))
