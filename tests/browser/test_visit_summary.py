"""In a real browser: the visit summary on screen, then printed to A4 and US Letter with
nothing cut off at the right edge."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS pixels per millimetre
PAPER_WIDTH_MM = {"A4": 210, "Letter": 215.9}
SIDE_MARGINS_MM = 2 * 12  # @page margin in mitra.css


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_clinician_prints_a_visit_summary_on_a4_and_letter(
    page: Page, sign_in, check, bob, alice, alice_team, alice_history
):
    sign_in(page, bob)
    page.goto(f"/clinic/patients/{alice.pk}/summary/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Visit summary: Alice")
    expect(page.locator('[data-measure="pain"]')).to_contain_text("Pain")
    check(page, "screen")

    page.emulate_media(media="print")
    expect(page.locator(".visit-period-form")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    for paper, width_mm in PAPER_WIDTH_MM.items():
        printable = int((width_mm - SIDE_MARGINS_MM) * MM)
        page.set_viewport_size({"width": printable, "height": 1000})
        widest = page.evaluate("document.documentElement.scrollWidth")
        assert widest <= printable, f"{paper}: {widest}px of content on {printable}px of paper"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pdf = page.pdf(path=SCREENSHOTS / f"visit-summary-{paper}.pdf", format=paper)
        assert pdf.startswith(b"%PDF")
        assert 1 <= _pages(pdf) <= 4, f"{paper}: {_pages(pdf)} pages"


def test_the_patient_opens_their_own_summary_from_trends(alice_page: Page, check):
    alice_page.goto("/trends/")
    alice_page.get_by_role("link", name=re.compile("Visit summary")).click()

    expect(alice_page.get_by_role("heading", level=1)).to_have_text("Visit summary")
    expect(alice_page.get_by_role("heading", name="Review notes")).to_have_count(0)
    check(alice_page, "patient")
