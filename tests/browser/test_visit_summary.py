"""In a real browser: the visit summary on screen, then printed to A4 and US Letter with
nothing cut off at the right edge, and printed in the light palette from a dark screen."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS pixels per millimetre
PAPER_WIDTH_MM = {"A4": 210, "Letter": 215.9}
SIDE_MARGINS_MM = 2 * 12  # @page margin in mitra.css


# What the summary prints, as (name, selector, CSS property); every one must stand out on paper.
PRINTED_INK = [
    ("text", ".visit-summary h1, .visit-summary td, .visit-summary th", "color"),
    ("help text", ".visit-summary .help", "color"),
    ("legend", ".visit-figure .legend text", "fill"),
    ("axis labels", ".visit-figure .panel > text, .visit-figure .x-labels text", "fill"),
    ("sleep quality triangles", ".visit-figure .quality, .visit-figure .quality > *", "fill"),
]


def _luminance(css_colour: str) -> float:
    """WCAG relative luminance of a computed ``rgb(r, g, b)`` or ``rgba(...)``."""
    r, g, b = (int(c) / 255 for c in re.findall(r"[\d.]+", css_colour)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


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


@pytest.mark.parametrize("viewport", ["desktop"])
def test_a_summary_printed_from_a_dark_screen_prints_dark_ink_on_white(
    new_context, sign_in, bob, alice, alice_team, alice_history
):
    page = sign_in(new_context(color_scheme="dark"), bob)
    page.goto(f"/clinic/patients/{alice.pk}/summary/")
    page.emulate_media(media="print", color_scheme="dark")
    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")

    paper = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert _luminance(paper) > 0.9, f"the page prints on {paper}"
    for name, selector, prop in PRINTED_INK:
        colours = page.eval_on_selector_all(
            selector, f"(els) => els.map((el) => getComputedStyle(el).{prop})"
        )
        assert colours, f"no {name} on the summary"
        # 4.5:1 for text (WCAG AA); the triangles are graphics, 3:1.
        needed = 3 if name == "sleep quality triangles" else 4.5
        faint = {c for c in colours if _contrast(c, paper) < needed}
        assert not faint, f"{name} print {faint} on {paper}"
