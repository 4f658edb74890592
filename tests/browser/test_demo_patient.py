"""The issue's bar: a ``seed_demo`` patient, on a phone, does both daily check-ins with a
few taps each, because everything else is filled in from their own recent entries.

The taps are the measure: each check-in below is saved with exactly the actions listed
and nothing more. The seconds each took in this run are printed for the record, never
asserted (speed goals live in bench/).
"""

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import Page, expect

from journals.models import PainEntry, SleepEntry, UseEntry
from patients.demo import DEMO_PASSWORD
from patients.models import User

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_evening(transactional_db) -> Iterator[User]:
    """The demo data, at 21:30 in Phoenix for Jo, who stopped logging six days ago."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    with time_machine.travel(
        datetime(tomorrow.year, tomorrow.month, tomorrow.day, 4, 30, tzinfo=UTC)
    ):
        call_command("seed_demo", stdout=StringIO())
        yield User.objects.get(email="jo@demo.mitra.test")


def _sign_in(page: Page) -> None:
    page.goto("/signin/")
    page.get_by_label("Email").fill("jo@demo.mitra.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Today"))


def test_a_demo_patient_does_both_check_ins_in_a_few_taps(page, check, demo_evening, capsys):
    jo = demo_evening
    last_dose = UseEntry.objects.filter(patient=jo).latest("taken_at")
    before = [
        model.objects.filter(patient=jo).count() for model in (PainEntry, UseEntry, SleepEntry)
    ]
    _sign_in(page)

    started = time.monotonic()
    page.get_by_role("main").get_by_role("link", name=re.compile("Evening check-in")).click()
    page.get_by_role("group", name=re.compile("^Your pain right now")).get_by_label(
        "5", exact=True
    ).check()
    page.get_by_role("region", name="Tonight's kratom").get_by_label("I took kratom").check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Evening check-in saved.")).to_be_visible()
    evening_s = time.monotonic() - started
    check(page, "evening-saved")

    started = time.monotonic()
    page.get_by_role("main").get_by_role("link", name=re.compile("Morning sleep diary")).click()
    page.get_by_label("How long did it take you to fall asleep? (minutes)").fill("25")
    page.get_by_label("How many times did you wake up").fill("2")
    page.get_by_label("In total, how long did these awakenings last? (minutes)").fill("20")
    page.get_by_role("group", name="How would you rate the quality of your sleep?").get_by_label(
        "3 fair"
    ).check()
    page.get_by_role("button", name="Save sleep diary").click()
    expect(page.get_by_text(re.compile("Sleep diary saved"))).to_be_visible()
    morning_s = time.monotonic() - started
    check(page, "morning-saved")

    with capsys.disabled():
        print(
            f"\n  demo check-ins in a browser: evening {evening_s:.1f} s, morning {morning_s:.1f} s"
        )
    after = [
        model.objects.filter(patient=jo).count() for model in (PainEntry, UseEntry, SleepEntry)
    ]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    dose = UseEntry.objects.filter(patient=jo).latest("taken_at")
    assert (dose.amount, dose.unit, dose.form) == (last_dose.amount, last_dose.unit, last_dose.form)
    assert SleepEntry.objects.filter(patient=jo).latest("created_at").quality == 3
