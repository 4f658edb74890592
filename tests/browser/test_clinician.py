"""In a real browser: bob opens alice's page, sees her flag with its evidence, and
acknowledges it with a note; bob searches his patients by name."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from journals.choices import Form, Substance, Unit
from journals.flags.services import evidence_now
from journals.models import Flag, FlagStatus, Rule, Severity
from patients.models import User
from tests.browser.conftest import at, berlin_today
from tests.factories import UseEntryFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def co_use_flag(alice: User, alice_history: None) -> Flag:
    """Kratom and two drinks last night: the flag the engine leaves (tested on its own)."""
    day = berlin_today() - timedelta(days=1)
    kratom = UseEntryFactory(patient=alice, taken_at=at(day, 21), amount=Decimal(4))
    alcohol = UseEntryFactory(
        patient=alice,
        taken_at=at(day, 22),
        substance=Substance.ALCOHOL,
        form=Form.LIQUID,
        unit=Unit.STANDARD_DRINK,
        amount=Decimal(2),
    )
    return Flag.objects.create(
        patient=alice,
        rule=Rule.CO_USE,
        severity=Severity.HIGH,
        window_start=day,
        window_end=day,
        evidence=[evidence_now(entry, alice.patient_profile.zone) for entry in (kratom, alcohol)],
    )


def test_a_clinician_acknowledges_a_flag_with_a_note(
    page: Page, sign_in, check, bob, alice, alice_team, co_use_flag
):
    sign_in(page, bob)
    page.goto(f"/clinic/patients/{alice.pk}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Alice")
    flag = page.locator(f"#flag-{co_use_flag.pk}")
    expect(flag).to_contain_text("High severity")
    expect(flag).to_contain_text("Kratom with alcohol or a sedative")
    expect(flag).to_contain_text("Alcohol 2 standard drinks")
    check(page, "flagged")

    flag.get_by_label("Note (optional)").first.fill("Called Alice; talked about alcohol.")
    flag.get_by_role("button", name=re.compile("^Acknowledge")).click()

    expect(page).to_have_url(re.compile(rf"/clinic/patients/{alice.pk}/$"))
    expect(page.get_by_text("acknowledged.", exact=False).first).to_be_visible()
    expect(page.locator(f"#flag-{co_use_flag.pk}")).to_contain_text(
        "Called Alice; talked about alcohol."
    )
    check(page, "acknowledged")
    co_use_flag.refresh_from_db()
    assert co_use_flag.status == FlagStatus.ACKNOWLEDGED
    assert co_use_flag.acknowledged_by == bob


def test_a_clinician_searches_and_the_name_never_reaches_the_address_bar(
    page: Page, sign_in, check, bob, alice, erin, alice_team, erin_team
):
    sign_in(page, bob)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/clinic/")
    patients = page.get_by_role("table")

    page.get_by_label("Name or email").fill("Erin")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"/clinic/\?sort=urgency$"))
    expect(patients).to_contain_text("erin@example.org")
    expect(patients).not_to_contain_text("alice@example.org")
    expect(page.get_by_label("Name or email")).to_have_value("Erin")
    check(page, "searched")

    page.get_by_role("button", name="Clear").click()

    expect(patients).to_contain_text("alice@example.org")
    expect(page.get_by_label("Name or email")).to_have_value("")
    assert any("/clinic/" in url for url in requested)
    assert [url for url in requested if "erin" in url.lower()] == []
