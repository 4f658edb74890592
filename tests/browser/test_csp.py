"""The Content-Security-Policy in a real browser: the main pages and the API docs load and work
without a single violation reported, and a violation would be seen."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PATIENT_PAGES = [
    "/today/",
    "/checkin/evening/",
    "/checkin/morning/",
    "/history/",
    "/trends/",
    "/settings/",
    "/settings/care-team/",
]


def visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path}: {response.status}"
    page.wait_for_load_state("load")


def test_a_patients_pages_report_no_csp_violation(alice_page, csp_violations):
    for path in PATIENT_PAGES:
        visit(alice_page, path)

    assert csp_violations == []


def test_a_clinicians_pages_report_no_csp_violation(
    page, sign_in, bob, alice, alice_history, alice_team, csp_violations
):
    sign_in(page, bob)
    visit(page, "/clinic/")
    visit(page, f"/clinic/patients/{alice.pk}/")

    assert csp_violations == []


def test_the_sign_in_pages_report_no_csp_violation(page, csp_violations):
    visit(page, "/signin/")
    visit(page, "/password-reset/")

    assert csp_violations == []


def test_the_api_docs_draw_the_api_under_the_csp(page, csp_violations):
    visit(page, "/api/v1/docs/")

    expect(page.get_by_role("heading", name=re.compile("Mitra API"))).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()  # the operations are listed
    assert csp_violations == []


def test_an_inline_script_would_be_refused_and_reported(page, csp_violations):
    visit(page, "/signin/")

    with page.expect_console_message(lambda message: "script-src" in message.text):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "document.title = 'injected'";
                document.body.append(script);
            }"""
        )

    assert page.title() != "injected"
    assert any("script-src" in line for line in csp_violations), csp_violations
