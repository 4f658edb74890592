"""In a real browser: the evening check-in and the morning sleep diary, seen on Today, in
History and on the Trends charts; editing an entry; an error shown next to its field; and the
check-in with JavaScript switched off."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from journals.models import PainEntry, SleepEntry, UseEntry
from tests.browser.conftest import berlin_today

pytestmark = pytest.mark.browser

PAIN_QUESTION = re.compile(r"^Your pain right now")
QUALITY_QUESTION = "How would you rate the quality of your sleep?"
TOO_MUCH_KRATOM = "More than 50 g of kratom in one dose looks like a typo."


def open_from_today(page: Page, link_name: str) -> None:
    page.goto("/today/")
    page.get_by_role("main").get_by_role("link", name=re.compile(link_name)).click()


def fill_evening_checkin(page: Page, *, pain: int, kratom_grams: str) -> None:
    page.get_by_role("group", name=PAIN_QUESTION).get_by_label(str(pain), exact=True).check()
    kratom = page.get_by_role("region", name="Tonight's kratom")
    kratom.get_by_label("I took kratom").check()
    kratom.get_by_label("Amount").fill(kratom_grams)
    page.get_by_role("button", name="Save check-in").click()


def fill_morning_diary(page: Page) -> None:
    page.get_by_label("How long did it take you to fall asleep? (minutes)").fill("20")
    page.get_by_label("How many times did you wake up").fill("1")
    page.get_by_label("In total, how long did these awakenings last? (minutes)").fill("15")
    page.get_by_role("group", name=QUALITY_QUESTION).get_by_label("4 good").check()
    page.get_by_role("button", name="Save sleep diary").click()


def test_evening_checkin_is_saved_and_shown_on_today(alice_page, check, alice):
    page = alice_page
    started = timezone.now()
    page.goto("/today/")
    check(page, "before")
    page.get_by_role("main").get_by_role("link", name=re.compile("Evening check-in")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evening check-in")
    kratom = page.get_by_role("region", name="Tonight's kratom")
    expect(kratom.get_by_label("Amount")).to_have_value("3")  # her usual dose, remembered
    check(page, "form")

    fill_evening_checkin(page, pain=6, kratom_grams="4")

    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.get_by_text("Evening check-in saved.")).to_be_visible()
    logged = page.get_by_role("region", name="Logged today")
    expect(logged).to_contain_text("Pain 6 out of 10")
    expect(logged).to_contain_text("Kratom, 4 g, powder")
    expect(page.get_by_role("link", name=re.compile("Evening check-in"))).to_contain_text(
        "Done today"
    )
    check(page, "after")
    pain = PainEntry.objects.get(patient=alice, created_at__gte=started)
    use = UseEntry.objects.get(patient=alice, created_at__gte=started)
    assert (pain.intensity, use.substance, use.amount) == (6, "kratom", Decimal(4))


def test_morning_diary_is_saved_and_today_shows_total_sleep_and_efficiency(
    alice_page, check, alice
):
    page = alice_page
    open_from_today(page, "Morning sleep diary")
    expect(page.get_by_role("heading", level=1)).to_have_text("Morning sleep diary")
    # Defaults from her recent nights: only the counts and the quality are left to answer.
    expect(page.get_by_label("What time did you get into bed?")).not_to_have_value("")
    expect(page.get_by_label("What time did you get out of bed for the day?")).not_to_have_value("")
    check(page, "form")

    fill_morning_diary(page)

    expect(page).to_have_url(re.compile(r"/today/$"))
    entry = SleepEntry.objects.get(patient=alice, night_of=berlin_today() - timedelta(days=1))
    assert entry.quality == 4
    last_night = page.get_by_role("region", name="Last night")
    expect(last_night).to_contain_text("Total sleep")
    expect(last_night).to_contain_text(f"Sleep efficiency{entry.sleep_efficiency_pct}%")
    expect(page.get_by_role("link", name=re.compile("Morning sleep diary"))).to_contain_text(
        "Done for last night"
    )
    check(page, "after")


def test_both_checkins_show_in_history_and_on_the_trends_charts(alice_page, check, alice):
    page = alice_page
    today = berlin_today()
    yesterday = today - timedelta(days=1)
    open_from_today(page, "Evening check-in")
    fill_evening_checkin(page, pain=7, kratom_grams="4.5")
    expect(page.get_by_text("Evening check-in saved.")).to_be_visible()
    open_from_today(page, "Morning sleep diary")
    fill_morning_diary(page)
    expect(page.get_by_role("region", name="Last night")).to_contain_text("Sleep efficiency")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()

    todays = page.get_by_role("region", name=re.compile(r"^Today, "))
    expect(todays).to_contain_text("Pain 7/10")
    expect(todays).to_contain_text(re.compile(r"Kratom 4\.5 g,? powder"))
    last_night = page.get_by_role("region", name=re.compile(r"^Yesterday, "))
    expect(last_night).to_contain_text("Sleep diary")
    expect(last_night).to_contain_text("quality good")
    check(page, "history")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trends").click()

    pain_chart = page.get_by_role("img", name=re.compile(r"^Pain"))
    expect(pain_chart).to_be_visible()
    expect(pain_chart.locator(f'[data-date="{today}"]').first).to_have_attribute(
        "data-value", re.compile(r"^7(\.0+)?$")
    )
    sleep_chart = page.get_by_role("img", name=re.compile(r"^Sleep"))
    expect(sleep_chart.locator(f'[data-date="{yesterday}"]').first).to_be_attached()
    kratom_chart = page.get_by_role("img", name=re.compile(r"^Kratom"))
    expect(kratom_chart.locator(f'rect[data-date="{today}"]')).to_have_attribute(
        "data-value", re.compile(r"^4\.50*$")
    )
    check(page, "trends")


def test_editing_an_entry_in_history_changes_it(alice_page, check, alice):
    page = alice_page
    day = berlin_today() - timedelta(days=2)
    page.goto("/history/")
    check(page, "list")

    page.get_by_role("link", name=f"Edit pain, {day.day} {day:%B} 21:00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit pain entry")
    check(page, "form")
    page.get_by_role("group", name=PAIN_QUESTION).get_by_label("3", exact=True).check()
    page.get_by_label("Anything else about your pain?").fill("Better after a walk.")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(r"/history/"))
    expect(page.get_by_text("Your pain entry was saved.")).to_be_visible()
    that_day = page.get_by_role("region", name=re.compile(f"{day.day} {day:%B} {day.year}$"))
    expect(that_day).to_contain_text("Pain 3/10")
    expect(that_day).to_contain_text("Note: Better after a walk.")
    check(page, "saved")
    edited = PainEntry.objects.get(patient=alice, note="Better after a walk.")
    assert edited.intensity == 3


def test_a_kratom_dose_of_60_g_shows_its_error_next_to_the_amount_and_saves_nothing(
    alice_page, check, alice
):
    page = alice_page
    entries_before = (PainEntry.objects.count(), UseEntry.objects.count())
    open_from_today(page, "Evening check-in")

    fill_evening_checkin(page, pain=7, kratom_grams="60")

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    kratom = page.get_by_role("region", name="Tonight's kratom")
    amount = kratom.get_by_label("Amount")
    expect(amount).to_have_accessible_description(re.compile(re.escape(TOO_MUCH_KRATOM)))
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_value("60")
    expect(kratom.get_by_label("I took kratom")).to_be_checked()
    pain = page.get_by_role("group", name=PAIN_QUESTION)
    expect(pain.get_by_label("7", exact=True)).to_be_checked()
    check(page, "error")
    assert (PainEntry.objects.count(), UseEntry.objects.count()) == entries_before


def test_the_evening_checkin_works_with_javascript_off(
    new_context, sign_in, check, alice, alice_history
):
    started = timezone.now()
    page = sign_in(new_context(java_script_enabled=False), alice)
    open_from_today(page, "Evening check-in")

    fill_evening_checkin(page, pain=5, kratom_grams="3")

    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.get_by_role("region", name="Logged today")).to_contain_text("Pain 5 out of 10")
    check(page, axe=False)  # axe runs in the page: not without JavaScript
    assert PainEntry.objects.get(patient=alice, created_at__gte=started).intensity == 5
