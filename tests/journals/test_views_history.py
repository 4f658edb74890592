"""History, edit and delete as pages: by local day, newest first, filtered, paginated.

The clock stands at 2026-04-02 12:00 UTC (14:00 in Berlin, 07:00 in Chicago).
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from journals.models import PainEntry, PegAssessment, SleepEntry, UseEntry
from journals.views.history import PER_PAGE
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.journals.helpers import BERLIN, CHICAGO, local, sleep_times

pytestmark = pytest.mark.usefixtures("frozen_now")

APRIL_1 = date(2026, 4, 1)
MARCH_31 = date(2026, 3, 31)


def page_client(user):
    client = Client()
    client.force_login(user)
    return client


def history(user, **params):
    response = page_client(user).get("/history/", params)
    assert response.status_code == 200
    return response


def shown(response):
    """(kind, entry id) of each row, in page order."""
    return [(row.kind, row.entry.pk) for row in response.context["rows"]]


def field_error(page, field):
    """The error list Django ties to a field (the widget's aria-describedby names its id)."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)) if found else ""


def edit_url(kind, entry):
    return f"/history/{kind}/{entry.pk}/edit/"


def delete_url(kind, entry):
    return f"/history/{kind}/{entry.pk}/delete/"


def pain_at(patient, when, **fields):
    return PainEntryFactory(patient=patient, recorded_at=when, **fields)


def pain_form(**overrides):
    return {"recorded_at": "2026-04-01T21:15", "intensity": "3", "note": "", **overrides}


def use_form(**overrides):
    return {
        "taken_at": "2026-04-01T21:00",
        "substance": "kratom",
        "amount": "3.5",
        "unit": "g",
        "form": "powder",
        "mixed_with": "warm_water",
        "product": "",
        "reason": "pain",
        "note": "",
        **overrides,
    }


def sleep_form(night_of=MARCH_31, **overrides):
    morning = night_of + timedelta(days=1)
    return {
        "night_of": night_of.isoformat(),
        "bedtime": f"{night_of}T22:30",
        "lights_out_at": f"{night_of}T23:00",
        "sleep_onset_latency_min": "20",
        "awakenings": "2",
        "wake_after_sleep_onset_min": "40",
        "final_wake_at": f"{morning}T06:30",
        "rise_at": f"{morning}T07:00",
        "quality": "3",
        "note": "",
        **overrides,
    }


def peg_form(**overrides):
    return {
        "recorded_at": "2026-04-01T20:00",
        "pain_average": "7",
        "enjoyment_interference": "5",
        "activity_interference": "4",
        "note": "",
        **overrides,
    }


def sleep_entry(patient, night_of=MARCH_31, zone=BERLIN, **fields):
    return SleepEntryFactory(
        patient=patient,
        night_of=night_of,
        **sleep_times(night_of, zone),
        sleep_onset_latency_min=20,
        wake_after_sleep_onset_min=40,
        **fields,
    )


# History: grouping and order


def test_an_entry_at_half_past_midnight_in_berlin_sits_under_the_new_local_day(alice):
    # 00:30 on 1 April in Berlin is still 31 March in UTC.
    pain_at(alice, local(APRIL_1, 0, 30))

    response = history(alice)

    [row] = response.context["rows"]
    assert row.day == APRIL_1
    page = response.content.decode()
    assert 'id="day-2026-04-01"' in page
    assert 'id="day-2026-03-31"' not in page


def test_days_follow_the_patients_own_zone_not_the_servers(erin):
    # 23:30 on 31 March in Chicago is already 1 April in UTC.
    pain_at(erin, local(MARCH_31, 23, 30, CHICAGO))

    [row] = history(erin).context["rows"]

    assert row.day == MARCH_31


def test_each_day_is_headed_with_its_local_date_and_today_and_yesterday_are_named(alice):
    pain_at(alice, local(date(2026, 4, 2), 9, 0))
    pain_at(alice, local(APRIL_1, 9, 0))
    pain_at(alice, local(date(2026, 3, 30), 9, 0))

    page = history(alice).content.decode()

    assert re.search(r"Today,\s*Thursday 2 April 2026", page)
    assert re.search(r"Yesterday,\s*Wednesday 1 April 2026", page)
    assert re.search(r">\s*Monday 30 March 2026", page)


def test_entries_of_all_kinds_are_listed_newest_first(alice):
    oldest = pain_at(alice, local(date(2026, 3, 30), 9, 0))
    morning = UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 8, 0))
    evening = PegAssessmentFactory(patient=alice, recorded_at=local(APRIL_1, 20, 0))
    night = sleep_entry(alice, night_of=MARCH_31)

    rows = shown(history(alice))

    assert rows == [
        ("peg", evening.pk),
        ("use", morning.pk),
        ("sleep", night.pk),
        ("pain", oldest.pk),
    ]


def test_a_sleep_diary_sits_on_the_evening_its_night_began(alice):
    sleep_entry(alice, night_of=MARCH_31)  # written on the morning of 1 April

    [row] = history(alice).context["rows"]

    assert row.day == MARCH_31


def test_history_shows_only_the_patients_own_entries(alice, erin):
    own = pain_at(alice, local(APRIL_1, 9, 0))
    pain_at(erin, local(APRIL_1, 9, 0, CHICAGO))

    assert shown(history(alice)) == [("pain", own.pk)]


# History: what each row says


def test_a_pain_row_shows_the_score_and_locations_in_words(alice):
    pain_at(alice, local(APRIL_1, 20, 0), intensity=6, locations=["lower_back", "knees"])

    page = history(alice).content.decode()

    assert "Pain 6/10 · Lower back, knees" in page
    assert '<time datetime="2026-04-01T20:00:00+02:00">20:00</time>' in page


def test_a_peg_row_shows_the_three_items_and_the_score(alice):
    PegAssessmentFactory(
        patient=alice,
        recorded_at=local(APRIL_1, 20, 0),
        pain_average=7,
        enjoyment_interference=5,
        activity_interference=4,
    )

    page = history(alice).content.decode()

    assert "Pain on average 7/10" in page
    assert "enjoyment of life 5/10" in page
    assert "general activity 4/10" in page
    assert "PEG score 5.3" in page


def test_a_sleep_row_shows_times_total_sleep_efficiency_and_quality(alice):
    sleep_entry(alice, night_of=MARCH_31, quality=4)

    page = history(alice).content.decode()

    # In bed 22:30 to 07:00 (510 min); asleep 23:00 to 06:30 less 20 + 40 min: 390 min.
    assert (
        "Night of Tue 31 Mar · in bed 22:30 → up 07:00 · total sleep 6 h 30 min"
        " · efficiency 76.5% · quality good"
    ) in page


def test_a_use_row_shows_substance_amount_unit_form_mix_and_reason(alice):
    UseEntryFactory(
        patient=alice,
        taken_at=local(APRIL_1, 21, 0),
        amount=Decimal("3.500"),
        product="Red Bali",
        mixed_with="warm_water",
        reason="sleep",
    )

    page = history(alice).content.decode()

    assert "Kratom 3.5 g powder (Red Bali) · mixed with warm water · for sleep" in page


def test_an_alcohol_row_shows_only_what_the_patient_chose(alice):
    # As the evening check-in saves it: the form filled in, nothing mixed in.
    UseEntryFactory(
        patient=alice,
        taken_at=local(APRIL_1, 20, 0),
        substance="alcohol",
        amount=Decimal(2),
        unit="standard_drink",
        form="liquid",
        mixed_with="none",
        reason="",
    )

    rows = history(alice).context["rows"]

    assert rows[0].summary == "Alcohol 2 standard drinks"


def test_a_7_oh_row_keeps_the_products_own_label(alice):
    UseEntryFactory(
        patient=alice,
        taken_at=local(APRIL_1, 21, 0),
        amount=Decimal(15),
        unit="mg",
        form="seven_oh",
        reason="pain",
    )

    rows = history(alice).context["rows"]

    assert rows[0].summary == "Kratom 15 mg 7-OH product · mixed with warm water · for pain"


def test_each_row_links_to_edit_and_delete_its_entry(alice):
    entry = UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 21, 0))

    page = history(alice).content.decode()

    assert f'href="/history/use/{entry.pk}/edit/?page=1"' in page
    assert f'href="/history/use/{entry.pk}/delete/?page=1"' in page


# History: filters


@pytest.mark.parametrize("kind", ["pain", "peg", "sleep", "use"])
def test_the_kind_filter_shows_only_that_kind(alice, kind):
    pain_at(alice, local(APRIL_1, 9, 0))
    PegAssessmentFactory(patient=alice, recorded_at=local(APRIL_1, 10, 0))
    sleep_entry(alice, night_of=MARCH_31)
    UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 11, 0))

    rows = shown(history(alice, kind=kind))

    assert [row_kind for row_kind, _ in rows] == [kind]


def test_the_from_date_keeps_entries_of_that_local_day_and_later(alice):
    pain_at(alice, local(MARCH_31, 23, 30))
    first_minute = pain_at(alice, local(APRIL_1, 0, 0))

    rows = shown(history(alice, **{"from": "2026-04-01"}))

    assert rows == [("pain", first_minute.pk)]


def test_the_to_date_keeps_entries_up_to_the_end_of_that_local_day(alice):
    last_minute = pain_at(alice, local(MARCH_31, 23, 59))
    pain_at(alice, local(APRIL_1, 0, 30))  # 31 March in UTC, 1 April for alice

    rows = shown(history(alice, to="2026-03-31"))

    assert rows == [("pain", last_minute.pk)]


def test_from_and_to_together_include_both_days(alice):
    pain_at(alice, local(date(2026, 3, 29), 12, 0))
    first = pain_at(alice, local(date(2026, 3, 30), 12, 0))
    last = pain_at(alice, local(MARCH_31, 12, 0))
    pain_at(alice, local(APRIL_1, 12, 0))

    rows = shown(history(alice, **{"from": "2026-03-30", "to": "2026-03-31"}))

    assert rows == [("pain", last.pk), ("pain", first.pk)]


def test_a_bad_date_is_reported_next_to_its_field_and_left_out(alice):
    entry = pain_at(alice, local(APRIL_1, 9, 0))

    response = history(alice, **{"from": "2026-13-45"})

    page = response.content.decode()
    assert "Enter a date like 2026-04-01." in field_error(page, "from")
    assert shown(response) == [("pain", entry.pk)]


def test_an_end_date_before_the_start_date_is_reported(alice):
    pain_at(alice, local(APRIL_1, 9, 0))

    page = history(alice, **{"from": "2026-04-01", "to": "2026-03-01"}).content.decode()

    assert "The end date is before the start date." in field_error(page, "to")


def test_an_unknown_kind_is_reported_and_all_kinds_are_shown(alice):
    pain_at(alice, local(APRIL_1, 9, 0))
    UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 10, 0))

    response = history(alice, kind="dreams")

    assert field_error(response.content.decode(), "kind")
    assert len(shown(response)) == 2


def test_dates_at_the_edge_of_the_calendar_do_not_crash(alice):
    entry = pain_at(alice, local(APRIL_1, 9, 0))

    response = history(alice, **{"from": "0001-01-01", "to": "9999-12-31"})

    assert shown(response) == [("pain", entry.pk)]


# History: empty states


def test_an_empty_journal_says_nothing_is_logged_yet(alice):
    page = history(alice).content.decode()

    assert "Nothing logged yet." in page


def test_filters_that_match_nothing_say_so(alice):
    pain_at(alice, local(APRIL_1, 9, 0))

    page = history(alice, kind="sleep").content.decode()

    assert "No entries match these filters." in page


# History: pages


def pains_on_days(patient, how_many, last_day=APRIL_1):
    """One pain entry a day at 09:00 local, ending on ``last_day``; newest first."""
    return [pain_at(patient, local(last_day - timedelta(days=n), 9, 0)) for n in range(how_many)]


def test_a_page_holds_thirty_entries_and_the_next_page_continues(alice):
    entries = pains_on_days(alice, PER_PAGE + 5)

    first, second = history(alice), history(alice, page="2")

    assert shown(first) == [("pain", e.pk) for e in entries[:PER_PAGE]]
    assert shown(second) == [("pain", e.pk) for e in entries[PER_PAGE:]]


def test_page_links_keep_the_filters(alice):
    pains_on_days(alice, PER_PAGE + 5)
    UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 10, 0))

    page = history(alice, kind="pain", to="2026-04-01").content.decode()

    assert 'href="?kind=pain&amp;to=2026-04-01&amp;page=2"' in page


def test_following_a_page_link_keeps_the_filters(alice):
    pains_on_days(alice, PER_PAGE + 5)
    UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 10, 0))

    response = history(alice, kind="pain", to="2026-04-01", page="2")

    assert [kind for kind, _ in shown(response)] == ["pain"] * 5
    assert 'href="?kind=pain&amp;to=2026-04-01&amp;page=1"' in response.content.decode()


def test_a_page_past_the_end_shows_the_last_page_and_says_so(alice):
    entries = pains_on_days(alice, PER_PAGE + 5)

    response = history(alice, page="99")

    assert shown(response) == [("pain", e.pk) for e in entries[PER_PAGE:]]
    assert "That page does not exist; this is the last page." in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "1.5", "0", "-3"])
def test_a_page_that_is_not_a_page_number_shows_the_first_page(alice, page):
    entries = pains_on_days(alice, PER_PAGE + 5)

    response = history(alice, page=page)

    assert shown(response) == [("pain", e.pk) for e in entries[:PER_PAGE]]
    assert "this is the first page." in response.content.decode()


def test_an_empty_page_parameter_is_the_first_page_without_a_note(alice):
    pains_on_days(alice, PER_PAGE + 5)

    response = history(alice, page="")

    assert response.context["page"].number == 1
    assert "this is the first page" not in response.content.decode()


# History: queries


def journal_of_days(patient, days, start=0):
    """Every kind, every day: a pain, a PEG and a dose in the day, and that night's diary."""
    for n in range(start, start + days):
        day = APRIL_1 - timedelta(days=n)
        pain_at(patient, local(day, 9, 0))
        PegAssessmentFactory(patient=patient, recorded_at=local(day, 12, 0))
        UseEntryFactory(patient=patient, taken_at=local(day, 20, 0))
        sleep_entry(patient, night_of=day - timedelta(days=1))


# Session, user and profile; the count and one page of the index; then one read per kind
# on the page.
BASE_QUERIES = 3 + 2


def test_history_reads_as_many_queries_for_200_entries_as_for_1(alice, django_assert_num_queries):
    client = page_client(alice)
    pains_on_days(alice, 1)
    with django_assert_num_queries(BASE_QUERIES + 1):
        assert len(shown(client.get("/history/"))) == 1

    pains_on_days(alice, 199, last_day=MARCH_31)
    with django_assert_num_queries(BASE_QUERIES + 1):
        response = client.get("/history/")

    assert response.context["page"].paginator.count == 200
    assert len(shown(response)) == PER_PAGE


def test_history_of_every_kind_reads_one_query_per_kind_for_4_entries_or_200(
    alice, django_assert_num_queries
):
    client = page_client(alice)
    journal_of_days(alice, 1)
    with django_assert_num_queries(BASE_QUERIES + 4):
        assert len(shown(client.get("/history/"))) == 4

    journal_of_days(alice, 49, start=1)
    with django_assert_num_queries(BASE_QUERIES + 4):
        response = client.get("/history/")

    assert response.context["page"].paginator.count == 200
    assert {kind for kind, _ in shown(response)} == {"pain", "peg", "sleep", "use"}


def test_a_filtered_page_reads_no_more_queries_than_an_unfiltered_one(
    alice, django_assert_num_queries
):
    client = page_client(alice)
    journal_of_days(alice, 50)

    with django_assert_num_queries(BASE_QUERIES + 4):
        response = client.get("/history/", {"from": "2026-03-01", "to": "2026-03-20", "page": "2"})

    assert len(shown(response)) == PER_PAGE


# Edit


def test_the_edit_form_is_prefilled_in_the_patients_local_time(alice):
    entry = pain_at(alice, datetime(2026, 4, 1, 18, 0, tzinfo=UTC), intensity=6)

    page = page_client(alice).get(edit_url("pain", entry)).content.decode()

    assert 'value="2026-04-01T20:00"' in page  # 18:00 UTC is 20:00 in Berlin
    assert re.search(r'value="6"[^>]*checked', page)


def test_the_edit_form_of_a_sleep_diary_shows_its_times_in_the_patients_zone(erin):
    entry = sleep_entry(erin, night_of=MARCH_31, zone=CHICAGO)

    page = page_client(erin).get(edit_url("sleep", entry)).content.decode()

    assert 'value="2026-03-31T22:30"' in page
    assert 'value="2026-04-01T07:00"' in page
    assert 'value="2026-03-31"' in page


def test_saving_an_edit_changes_the_entry_and_stores_utc(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0), intensity=6)

    response = page_client(alice).post(
        edit_url("pain", entry), pain_form(recorded_at="2026-04-01T21:15", intensity="3")
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.intensity == 3
    assert entry.recorded_at == datetime(2026, 4, 1, 19, 15, tzinfo=UTC)


def test_saving_an_edit_returns_to_history_with_a_message(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0))
    client = page_client(alice)

    response = client.post(edit_url("pain", entry), pain_form(), follow=True)

    assert response.redirect_chain == [("/history/", 302)]
    assert "Your pain entry was saved." in response.content.decode()


def test_saving_an_edit_returns_to_the_same_filters_and_page_and_nowhere_else(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0))
    url = edit_url("pain", entry) + "?kind=pain&from=2026-03-01&page=2&next=https://evil.example"

    response = page_client(alice).post(url, pain_form())

    assert response["Location"] == "/history/?kind=pain&from=2026-03-01&page=2"


def test_a_sleep_diary_edit_updates_the_night(alice):
    entry = sleep_entry(alice, night_of=MARCH_31)

    response = page_client(alice).post(
        edit_url("sleep", entry), sleep_form(rise_at="2026-04-01T07:30", quality="5")
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.rise_at == datetime(2026, 4, 1, 5, 30, tzinfo=UTC)
    assert entry.quality == 5


def test_moving_a_diary_onto_a_night_already_kept_links_to_that_nights_diary(alice):
    kept = sleep_entry(alice, night_of=APRIL_1)
    entry = sleep_entry(alice, night_of=MARCH_31)

    response = page_client(alice).post(edit_url("sleep", entry), sleep_form(night_of=APRIL_1))

    link = f'<a href="/history/sleep/{kept.pk}/edit/">change that diary</a>'
    assert response.content.decode().count(link) == 2  # next to the field, in the summary
    assert "&lt;a" not in response.content.decode()
    entry.refresh_from_db()
    assert entry.night_of == MARCH_31


def test_a_kratom_leaf_dose_over_50_g_is_refused_next_to_the_amount(alice):
    entry = UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 21, 0), amount=Decimal("3"))

    response = page_client(alice).post(edit_url("use", entry), use_form(amount="60"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "More than 50 g of kratom in one dose looks like a typo." in field_error(page, "amount")
    assert re.search(r'name="amount" value="60"', page)
    entry.refresh_from_db()
    assert entry.amount == Decimal("3")


def test_lights_out_before_bedtime_is_refused_next_to_lights_out(alice):
    entry = sleep_entry(alice, night_of=MARCH_31)

    response = page_client(alice).post(
        edit_url("sleep", entry), sleep_form(lights_out_at="2026-03-31T22:00", quality="5")
    )

    page = response.content.decode()
    assert "Lights out cannot be before getting into bed." in field_error(page, "lights_out_at")
    assert 'value="2026-03-31T22:00"' in page
    entry.refresh_from_db()
    assert entry.lights_out_at == local(MARCH_31, 23, 0)
    assert entry.quality == 3


def test_a_peg_item_of_11_is_refused_next_to_it(alice):
    entry = PegAssessmentFactory(patient=alice, recorded_at=local(APRIL_1, 20, 0))

    response = page_client(alice).post(edit_url("peg", entry), peg_form(activity_interference="11"))

    assert "less than or equal to 10" in field_error(
        response.content.decode(), "activity_interference"
    )
    entry.refresh_from_db()
    assert (entry.pain_average, entry.activity_interference) == (6, 4)


def test_a_time_in_the_future_is_refused_next_to_it(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0), intensity=6)

    # 15:00 in Berlin is 13:00 UTC, an hour from now.
    response = page_client(alice).post(
        edit_url("pain", entry), pain_form(recorded_at="2026-04-02T15:00", intensity="2")
    )

    assert "This time is in the future." in field_error(response.content.decode(), "recorded_at")
    entry.refresh_from_db()
    assert entry.intensity == 6


def test_a_local_time_the_autumn_clock_change_repeats_is_refused_not_a_crash(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0))

    # Berlin's clocks went from 03:00 back to 02:00 on 2025-10-26: 02:30 happened twice.
    response = page_client(alice).post(
        edit_url("pain", entry), pain_form(recorded_at="2025-10-26T02:30")
    )

    assert response.status_code == 200
    assert "couldn’t be interpreted in time zone" in field_error(
        response.content.decode(), "recorded_at"
    )


def test_a_refused_edit_lists_the_problems_above_the_form(alice):
    entry = UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 21, 0))

    page = page_client(alice).post(edit_url("use", entry), use_form(amount="60")).content.decode()

    assert "Nothing was saved." in page
    assert '<a href="#id_amount">' in page


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("pain", lambda p: pain_at(p, local(APRIL_1, 20, 0))),
        ("peg", lambda p: PegAssessmentFactory(patient=p, recorded_at=local(APRIL_1, 20, 0))),
        ("sleep", lambda p: sleep_entry(p)),
        ("use", lambda p: UseEntryFactory(patient=p, taken_at=local(APRIL_1, 20, 0))),
    ],
)
def test_an_empty_post_shows_what_is_required_and_saves_nothing(alice, kind, make):
    entry = make(alice)
    before = type(entry).objects.values().get(pk=entry.pk)

    response = page_client(alice).post(edit_url(kind, entry), {})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert type(entry).objects.values().get(pk=entry.pk) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_erin_cannot_edit_alices_entry(alice, erin, method):
    entry = pain_at(alice, local(APRIL_1, 20, 0), intensity=6)

    response = getattr(page_client(erin), method)(edit_url("pain", entry), pain_form())

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.intensity == 6


def test_an_unknown_kind_of_entry_is_404(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0))

    response = page_client(alice).get(f"/history/dream/{entry.pk}/edit/")

    assert response.status_code == 404


def test_an_entry_under_another_kind_is_404(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0))

    response = page_client(alice).get(edit_url("use", entry))

    assert response.status_code == 404


# Delete


def test_the_delete_page_shows_the_entry_and_deletes_nothing_yet(alice):
    entry = pain_at(alice, local(APRIL_1, 20, 0), intensity=6, locations=["knees"])

    page = page_client(alice).get(delete_url("pain", entry)).content.decode()

    assert "Delete this pain entry?" in page
    assert "Pain 6/10 · Knees" in page
    assert "Wednesday 1 April 2026, 20:00" in page
    assert PainEntry.objects.filter(pk=entry.pk).exists()


def test_confirming_deletes_the_entry_and_returns_to_history(alice):
    entry = sleep_entry(alice)

    response = page_client(alice).post(delete_url("sleep", entry), follow=True)

    assert response.redirect_chain == [("/history/", 302)]
    assert "The sleep diary was deleted." in response.content.decode()
    assert not SleepEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_returns_to_the_same_filters_and_page(alice):
    entry = UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 20, 0))

    response = page_client(alice).post(delete_url("use", entry) + "?kind=use&page=3")

    assert response["Location"] == "/history/?kind=use&page=3"


@pytest.mark.parametrize("method", ["get", "post"])
def test_erin_cannot_delete_alices_entry(alice, erin, method):
    entry = UseEntryFactory(patient=alice, taken_at=local(APRIL_1, 20, 0))

    response = getattr(page_client(erin), method)(delete_url("use", entry))

    assert response.status_code == 404
    assert UseEntry.objects.filter(pk=entry.pk).exists()


def test_peg_assessments_are_named_in_plain_words_on_the_delete_page(alice):
    entry = PegAssessmentFactory(patient=alice, recorded_at=local(APRIL_1, 20, 0))

    page = page_client(alice).get(delete_url("peg", entry)).content.decode()

    assert "Delete this weekly pain check?" in page
    assert PegAssessment.objects.filter(pk=entry.pk).exists()
