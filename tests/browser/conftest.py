"""Browser tests: Debian's chromium, driven by Playwright's sync API, against pytest-django's
live server (which also serves the static files, so pages have their CSS).

One browser and one live server serve every test here; each test gets fresh browser contexts
(no shared cookies) at a phone size and a desktop size. The chromium comes from apt (see the
Makefile): ``playwright install`` is never run and no browser build is downloaded.
"""

import json
import os
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from patients.mfa import needs_second_factor
from patients.models import CareTeamMembership, User
from tests.conftest import pass_second_step
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
    night_times,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
# Fail fast: a local server answers in milliseconds, and a missing element should not cost 30 s.
TIMEOUT_MS = 5_000

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
BERLIN = ZoneInfo("Europe/Berlin")
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """The one chromium for every browser test, closed when they are done.

    Playwright's sync API keeps an asyncio loop running in the test thread while it is
    started, and Django then refuses ORM calls from that thread (SynchronousOnlyOperation).
    The factories and assertions here are plain synchronous code, so the check is switched off
    for exactly as long as Playwright runs; the tests that come after keep Django's check.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def csp_violations() -> list[str]:
    """Every Content-Security-Policy violation any page of the test reported (``check`` fails
    on one): Chromium's own console error, and the page's ``securitypolicyviolation`` event."""
    return []


# Runs before the page's own scripts, as a test script: the page's CSP does not apply to it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
    `securitypolicyviolation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`));
"""


def _is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or text.startswith("securitypolicyviolation")


@pytest.fixture
def new_context(
    browser: Browser, viewport: str, live_server, csp_violations: list[str]
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context at the test's viewport: ``new_context(color_scheme=...)``."""
    contexts: list[BrowserContext] = []

    def report_csp(message: ConsoleMessage) -> None:
        if _is_csp_violation(message.text):
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def open_page(**options: Any) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-US",
            timezone_id="Europe/Berlin",
            **{**VIEWPORTS[viewport], **options},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        # axe-core is added as a test script too: a <script> tag added to the page would be
        # refused by the CSP (and reported as a violation).
        context.add_init_script(script=REPORT_CSP_VIOLATIONS)
        context.add_init_script(path=AXE_JS)
        context.on("console", report_csp)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Page]) -> Page:
    return new_context()


@pytest.fixture
def sign_in(live_server) -> Callable[[Page, User], Page]:
    """Give a page's context the session cookie of ``user`` (the sign-in form has its own test)."""

    def signed_in(page: Page, user: User) -> Page:
        client = Client()
        client.force_login(user)
        if needs_second_factor(user):
            pass_second_step(client, user)  # the code step has its own tests (tests/auth)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )
        return page

    return signed_in


@pytest.fixture
def alice_page(
    page: Page, sign_in, alice: User, alice_team: CareTeamMembership, alice_history
) -> Page:
    """Alice (Europe/Berlin), signed in, with bob on her care team and two weeks of journal."""
    return sign_in(page, alice)


def berlin_today() -> date:
    return timezone.now().astimezone(BERLIN).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def alice_history(alice: User) -> None:
    """Evenings and nights before today: pain, kratom and sleep; a PEG five days ago.

    Nothing is logged for today or for last night, so both check-ins start empty.
    """
    today = berlin_today()
    for days_ago in range(2, 15):
        day = today - timedelta(days=days_ago)
        PainEntryFactory(patient=alice, recorded_at=at(day, 21), intensity=4 + days_ago % 3)
        UseEntryFactory(patient=alice, taken_at=at(day, 21, 15), amount=Decimal("3"))
        SleepEntryFactory(patient=alice, night_of=day, **night_times(day, BERLIN))
    PegAssessmentFactory(patient=alice, recorded_at=at(today - timedelta(days=5), 21, 5))


@pytest.fixture(scope="package")
def axe_log() -> Iterator[list[dict[str, Any]]]:
    """Every axe violation seen (any impact), written to var/screenshots/axe-violations.json."""
    found: list[dict[str, Any]] = []
    yield found
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "axe-violations.json").write_text(json.dumps(found, indent=2))


@pytest.fixture
def check(
    request: pytest.FixtureRequest,
    viewport: str,
    axe_log: list[dict[str, Any]],
    csp_violations: list[str],
) -> Callable[..., None]:
    """``check(page, "step")``: a full-page screenshot, then axe-core in the page.

    Screenshots go to ``var/screenshots/<test>-<step>-<viewport>.png``. Any violation of
    impact serious or critical fails the test, listed by rule, element and summary.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = request.node.originalname

    def check_page(page: Page, step: str = "", *, axe: bool = True) -> None:
        name = "-".join(part for part in (test_name, step, viewport) if part)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        assert not csp_violations, f"CSP violations up to {page.url} ({name}):\n" + "\n".join(
            csp_violations
        )
        if not axe:
            return
        violations = run_axe(page)
        for violation in violations:
            axe_log.append({"screenshot": f"{name}.png", "url": page.url, **violation})
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on {page.url} ({name}):\n" + describe(blocking)

    return check_page


def run_axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE_JS)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                          summary: n.failureSummary})),
            }));
        }"""
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} element(s))")
        for node in v["nodes"][:5]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {node['html'][:160]}\n      {summary[:300]}")
    return "\n".join(lines)
