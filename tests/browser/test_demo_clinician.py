"""The issue's bar on the demo: the demo clinician signs in, finds the escalating and
co-using patients at the top of the triage list with their reasons, opens the first and
acknowledges a flag with a note."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import Page, expect

from journals.models import Flag, FlagStatus
from patients.demo import DEMO_PASSWORD
from patients.models import Authenticator
from tests.auth.helpers import code_at

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db) -> Iterator[None]:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    moment = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 15, 0, tzinfo=UTC)
    with time_machine.travel(moment):
        call_command("seed_demo", stdout=StringIO())
        yield


def test_the_demo_clinician_finds_the_risky_patients_first_and_acknowledges_a_flag(
    page: Page, check, demo
):
    page.goto("/signin/")
    page.get_by_label("Email").fill("clinician1@demo.mitra.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Two-step sign-in: the code the clinician's authenticator app would show now.
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    check(page, "code")
    device = Authenticator.objects.get(user__email="clinician1@demo.mitra.test", confirmed=True)
    page.get_by_label("Code").fill(code_at(device.bin_key.hex()))
    page.get_by_role("button", name="Sign in").click()

    rows = page.locator("tr.triage-row")
    expect(rows.first).to_contain_text("High")
    top_four = " ".join(rows.nth(i).inner_text() for i in range(4))
    assert "Dana" in top_four  # escalating
    assert "George" in top_four or "Hana" in top_four  # kratom with alcohol or a sedative
    assert "Rising doses" in top_four
    assert "Kratom with alcohol or a sedative" in top_four
    check(page, "triage")

    rows.first.get_by_role("link").click()
    flag = page.locator("li.clinician-flag").first
    expect(flag).to_be_visible()
    flag.get_by_label("Note (optional)").first.fill("Discussed at today's visit.")
    flag.get_by_role("button", name=re.compile("^Acknowledge")).click()

    expect(page.get_by_text("Discussed at today's visit.").first).to_be_visible()
    check(page, "acknowledged")
    assert Flag.objects.filter(
        status=FlagStatus.ACKNOWLEDGED, acknowledgement_note="Discussed at today's visit."
    ).exists()
