"""In a real browser, on a phone: no page scrolls sideways, and the header stays put from tab
to tab (the same height on every patient page)."""

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

NAV_TABS = ["/today/", "/history/", "/trends/", "/settings/"]
PATIENT_PAGES = [
    *NAV_TABS,
    "/checkin/evening/",
    "/checkin/morning/",
    "/history/import/",
    "/trends/summary/",
    "/settings/care-team/",
    "/settings/access-log/",
    "/account/security/",
]
PHONE_WIDTHS = [390, 320]


def _sideways_scroll(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return int(page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth"))


def _open_every_details(page: Page) -> None:
    page.eval_on_selector_all("details", "(all) => all.forEach((d) => { d.open = true; })")


@pytest.mark.parametrize("viewport", ["phone"])
@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_no_patient_page_scrolls_sideways_on_a_phone(alice_page: Page, width):
    alice_page.set_viewport_size({"width": width, "height": 844})
    too_wide = {}
    for path in PATIENT_PAGES:
        alice_page.goto(path)
        _open_every_details(alice_page)
        if extra := _sideways_scroll(alice_page):
            too_wide[path] = extra
    assert not too_wide, f"wider than {width} px by: {too_wide}"


@pytest.mark.parametrize("viewport", ["phone"])  # 390 px wide
def test_the_header_is_the_same_height_on_every_tab(alice_page: Page):
    heights = {}
    for path in NAV_TABS:
        alice_page.goto(path)
        box = alice_page.locator(".site-header").bounding_box()
        assert box is not None
        heights[path] = box["height"]
    assert len(set(heights.values())) == 1, f"the header changes height: {heights}"
