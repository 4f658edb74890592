"""journals.trends (daily series, weekly summary) and journals.charts (SVG on one date axis).

alice lives in Berlin. The clock stands at 2026-04-02 12:00 UTC (``frozen_now``), after the
spring DST change of Sunday 2026-03-29, when Berlin skipped from 02:00 to 03:00.
"""

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
import time_machine

from journals.choices import Form, Substance, Unit
from journals.metrics import sleep_metrics
from journals.reports.charts import DateAxis, journal_charts, kratom_chart, pain_chart, sleep_chart
from journals.reports.trends import (
    TrendSeries,
    patient_today,
    summary_since,
    trend_series,
    weekly_summary,
    window_days,
)
from journals.text import format_minutes
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.journals.helpers import CHICAGO, local

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 4, 2)
DST_DAY = date(2026, 3, 29)


def series_of(patient, since=date(2026, 3, 1), until=TODAY):
    return trend_series(patient=patient, since=since, until=until)


def pain_at(patient, when, intensity):
    return PainEntryFactory(patient=patient, recorded_at=when, intensity=intensity)


def use_at(patient, when, **fields):
    return UseEntryFactory(patient=patient, taken_at=when, **fields)


# Windows and today.


@pytest.mark.parametrize(("value", "days"), [("7", 7), ("30", 30), ("90", 90)])
def test_a_known_window_is_taken_as_asked(value, days):
    assert window_days(value) == days


@pytest.mark.parametrize("value", [None, "", "14", "0", "-7", "abc", "7.5", "1e9", "30 days"])
def test_any_other_window_falls_back_to_30_days(value):
    assert window_days(value) == 30


def test_today_is_the_patients_local_date(alice, erin):
    # 2026-04-02 03:00 UTC is 05:00 in Berlin and still the evening of 1 April in Chicago.
    with time_machine.travel(datetime(2026, 4, 2, 3, 0, tzinfo=UTC), tick=False):
        assert patient_today(alice) == date(2026, 4, 2)
        assert patient_today(erin) == date(2026, 4, 1)


# Pain.


def test_daily_pain_is_the_mean_of_the_local_days_entries(alice, frozen_now):
    pain_at(alice, local(date(2026, 4, 1), 8), 4)
    pain_at(alice, local(date(2026, 4, 1), 20), 5)
    pain_at(alice, local(date(2026, 4, 1), 23, 30), 7)

    assert series_of(alice).pain_nrs == {date(2026, 4, 1): Decimal(16) / 3}


def test_pain_after_local_midnight_counts_on_the_new_local_day(alice, frozen_now):
    # 00:30 on 1 April in Berlin is still 31 March in UTC.
    pain_at(alice, local(date(2026, 4, 1), 0, 30), 6)

    assert series_of(alice).pain_nrs == {date(2026, 4, 1): Decimal(6)}


def test_pain_days_follow_berlin_across_the_dst_change(alice, frozen_now):
    pain_at(alice, local(date(2026, 3, 28), 23, 30), 2)  # 22:30 UTC, winter time
    pain_at(alice, local(DST_DAY, 0, 30), 4)  # 23:30 UTC the day before
    pain_at(alice, local(DST_DAY, 23, 30), 6)  # 21:30 UTC, summer time
    pain_at(alice, local(date(2026, 3, 30), 0, 30), 8)  # 22:30 UTC on the 29th

    assert series_of(alice).pain_nrs == {
        date(2026, 3, 28): Decimal(2),
        DST_DAY: Decimal(5),
        date(2026, 3, 30): Decimal(8),
    }


def test_entries_outside_the_window_are_left_out(alice, frozen_now):
    pain_at(alice, local(date(2026, 2, 28), 23, 59), 9)
    pain_at(alice, local(date(2026, 3, 1), 0, 0), 3)

    assert series_of(alice).pain_nrs == {date(2026, 3, 1): Decimal(3)}


def test_another_patients_entries_never_appear(alice, erin, frozen_now):
    pain_at(erin, local(date(2026, 4, 1), 20, zone=CHICAGO), 9)
    use_at(erin, local(date(2026, 4, 1), 21, zone=CHICAGO))
    SleepEntryFactory(patient=erin, night_of=date(2026, 3, 31))

    series = series_of(alice)

    assert series.pain_nrs == series.kratom_leaf_g == series.total_sleep_min == {}


def test_each_peg_score_is_plotted_on_its_local_date(alice, frozen_now):
    PegAssessmentFactory(
        patient=alice,
        recorded_at=local(DST_DAY, 0, 30),  # 23:30 UTC on the 28th
        pain_average=7,
        enjoyment_interference=5,
        activity_interference=4,
    )
    PegAssessmentFactory(
        patient=alice,
        recorded_at=local(date(2026, 3, 22), 20),
        pain_average=6,
        enjoyment_interference=6,
        activity_interference=6,
    )

    assert series_of(alice).peg_scores == [
        (date(2026, 3, 22), Decimal("6.0")),
        (DST_DAY, Decimal("5.3")),
    ]


# Sleep.


def test_a_night_that_began_after_midnight_belongs_to_the_evening_before(alice, frozen_now):
    # In bed at 00:40 on the night the clocks went forward, up at 07:45 summer time.
    night = {
        "bedtime": local(DST_DAY, 0, 40),
        "lights_out_at": local(DST_DAY, 0, 50),
        "final_wake_at": local(DST_DAY, 7, 30),
        "rise_at": local(DST_DAY, 7, 45),
        "sleep_onset_latency_min": 10,
        "wake_after_sleep_onset_min": 30,
    }
    SleepEntryFactory(patient=alice, night_of=date(2026, 3, 28), quality=2, **night)

    series = series_of(alice)

    # Real elapsed time: 340 min from lights out to waking, less 40: 300 of 365 in bed.
    assert series.total_sleep_min == {date(2026, 3, 28): 300}
    assert series.sleep_efficiency_pct == {date(2026, 3, 28): Decimal("82.2")}
    assert series.sleep_quality == {date(2026, 3, 28): 2}
    metrics = sleep_metrics(**night)
    assert (metrics.total_sleep_min, metrics.sleep_efficiency_pct) == (300, Decimal("82.2"))


def test_sleep_nights_outside_the_window_are_left_out(alice, frozen_now):
    SleepEntryFactory(patient=alice, night_of=date(2026, 2, 28))
    SleepEntryFactory(patient=alice, night_of=date(2026, 4, 1))

    assert list(series_of(alice).total_sleep_min) == [date(2026, 4, 1)]


# Kratom leaf grams.


def test_leaf_grams_add_up_powder_capsules_and_tea_of_the_local_day(alice, frozen_now):
    day = date(2026, 3, 31)
    use_at(alice, local(day, 8), form=Form.POWDER, amount=Decimal("2.5"))
    use_at(alice, local(day, 14), form=Form.CAPSULE, amount=Decimal("1.25"))
    use_at(alice, local(day, 23, 30), form=Form.TEA, amount=Decimal("1.5"))
    use_at(alice, local(day + timedelta(days=1), 0, 30), amount=Decimal("3"))

    assert series_of(alice).kratom_leaf_g == {day: Decimal("5.25"), date(2026, 4, 1): Decimal(3)}


def test_extract_7oh_and_other_substances_are_not_leaf_grams(alice, frozen_now):
    day = date(2026, 3, 31)
    use_at(alice, local(day, 9), form=Form.EXTRACT, unit=Unit.MG, amount=Decimal(30))
    use_at(alice, local(day, 10), form=Form.SEVEN_OH, unit=Unit.MG, amount=Decimal(15))
    use_at(alice, local(day, 11), form=Form.OTHER, unit=Unit.G, amount=Decimal(4))
    use_at(alice, local(day, 12), substance=Substance.CANNABIS, form=Form.OTHER, amount=1)
    use_at(
        alice,
        local(day, 21),
        substance=Substance.ALCOHOL,
        form=Form.LIQUID,
        unit=Unit.STANDARD_DRINK,
        amount=2,
    )
    use_at(alice, local(day, 22), form=Form.POWDER, amount=Decimal(2))

    assert series_of(alice).kratom_leaf_g == {day: Decimal(2)}


def test_a_logged_day_without_leaf_kratom_is_zero_and_an_empty_day_is_missing(alice, frozen_now):
    pain_at(alice, local(date(2026, 3, 30), 20), 5)
    PegAssessmentFactory(patient=alice, recorded_at=local(date(2026, 3, 31), 20))
    use_at(alice, local(date(2026, 4, 1), 20), form=Form.EXTRACT, unit=Unit.MG, amount=20)

    assert series_of(alice).kratom_leaf_g == {
        date(2026, 3, 30): Decimal(0),
        date(2026, 3, 31): Decimal(0),
        date(2026, 4, 1): Decimal(0),
    }


def test_a_sleep_diary_alone_does_not_make_a_day_of_no_kratom(alice, frozen_now):
    SleepEntryFactory(patient=alice, night_of=date(2026, 4, 1))

    assert series_of(alice).kratom_leaf_g == {}


# Queries.


def test_the_series_takes_one_query_per_kind_however_many_entries(
    alice, frozen_now, django_assert_num_queries
):
    alice.patient_profile  # noqa: B018 (loaded with the user, as on a page)
    with django_assert_num_queries(4):
        series_of(alice)

    for offset in range(31):
        day = TODAY - timedelta(days=offset)
        pain_at(alice, local(day, 9), 5)
        use_at(alice, local(day, 10))
        PegAssessmentFactory(patient=alice, recorded_at=local(day, 11))
        SleepEntryFactory(patient=alice, night_of=day - timedelta(days=1))

    with django_assert_num_queries(4):
        series = series_of(alice)
    assert len(series.pain_nrs) == len(series.kratom_leaf_g) == 31


# The weekly summary, from plain series (no database).


def plain_series(**values):
    fields = {
        "pain_nrs": {},
        "peg_scores": [],
        "total_sleep_min": {},
        "sleep_efficiency_pct": {},
        "sleep_quality": {},
        "kratom_leaf_g": {},
    }
    return TrendSeries(since=summary_since(TODAY), until=TODAY, **{**fields, **values})


def this_week(offset=0):
    return TODAY - timedelta(days=offset)


def week_before(offset=0):
    return TODAY - timedelta(days=7 + offset)


def sentences(series):
    return {item.key: item.sentence for item in weekly_summary(series, today=TODAY)}


def test_pain_down_from_the_week_before():
    series = plain_series(
        pain_nrs={
            this_week(0): Decimal(5),
            this_week(6): Decimal("5.4"),
            week_before(0): Decimal(6),
            week_before(6): Decimal("6.2"),
        }
    )

    [pain, *_] = weekly_summary(series, today=TODAY)

    assert pain.sentence == "Average pain this week 5.2, down from 6.1 the week before."
    assert pain.change == "down"


def test_pain_up_from_the_week_before():
    series = plain_series(pain_nrs={this_week(1): Decimal(7), week_before(3): Decimal(4)})

    assert sentences(series)["pain"] == "Average pain this week 7.0, up from 4.0 the week before."


def test_a_change_too_small_to_show_reads_the_same():
    series = plain_series(pain_nrs={this_week(1): Decimal("5.01"), week_before(3): Decimal("4.98")})

    assert sentences(series)["pain"] == "Average pain this week 5.0, the same as the week before."


def test_pain_with_no_entries_the_week_before():
    series = plain_series(pain_nrs={this_week(2): Decimal(3)})

    assert sentences(series)["pain"] == "Average pain this week 3.0; no entries the week before."


def test_pain_with_no_entries_this_week():
    series = plain_series(pain_nrs={week_before(2): Decimal(3)})

    assert sentences(series)["pain"] == "Average pain this week: no entries; 3.0 the week before."


def test_no_entries_at_all_says_so_for_every_measure():
    assert sentences(plain_series()) == {
        "pain": "Average pain: no entries this week or the week before.",
        "total_sleep": "Average total sleep: no entries this week or the week before.",
        "sleep_efficiency": "Average sleep efficiency: no entries this week or the week before.",
        "kratom_leaf": "Average kratom leaf per logged day: no entries this week or the week "
        "before.",
    }


def test_days_older_than_two_weeks_do_not_count():
    series = plain_series(pain_nrs={week_before(7): Decimal(9), week_before(6): Decimal(2)})

    assert sentences(series)["pain"] == "Average pain this week: no entries; 2.0 the week before."


def test_sleep_sentences_give_hours_minutes_and_percent():
    series = plain_series(
        total_sleep_min={this_week(0): 390, this_week(1): 400, week_before(0): 360},
        sleep_efficiency_pct={this_week(0): Decimal("80.0"), week_before(0): Decimal("85.5")},
    )

    summary = sentences(series)

    assert summary["total_sleep"] == (
        "Average total sleep this week 6 h 35 min, up from 6 h the week before."
    )
    assert summary["sleep_efficiency"] == (
        "Average sleep efficiency this week 80.0%, down from 85.5% the week before."
    )


def test_kratom_leaf_averages_over_logged_days_including_days_without_kratom():
    series = plain_series(
        kratom_leaf_g={this_week(0): Decimal(4), this_week(1): Decimal(0), week_before(2): 2}
    )

    assert sentences(series)["kratom_leaf"] == (
        "Average kratom leaf per logged day this week 2.0 g, the same as the week before."
    )


def test_a_series_shorter_than_two_weeks_is_refused():
    series = TrendSeries(
        since=TODAY - timedelta(days=6),
        until=TODAY,
        pain_nrs={},
        peg_scores=[],
        total_sleep_min={},
        sleep_efficiency_pct={},
        sleep_quality={},
        kratom_leaf_g={},
    )

    with pytest.raises(ValueError, match="14 days"):
        weekly_summary(series, today=TODAY)


@pytest.mark.parametrize(
    ("minutes", "text"), [(45, "45 min"), (60, "1 h"), (365, "6 h 5 min"), (389.6, "6 h 30 min")]
)
def test_durations_read_in_hours_and_minutes(minutes, text):
    assert format_minutes(minutes) == text


# Charts: plain data in, SVG out.

AXIS = DateAxis.ending(TODAY, 30)


def svg_of(chart):
    return ET.fromstring(str(chart.svg))  # noqa: S314 (our own markup)


def marks(root, css):
    return {
        el.get("data-date"): el
        for el in root.iter()
        if el.get("data-date") and css in el.get("class", "").split()
    }


def centre_x(el):
    tag = el.tag.removeprefix(SVG)
    if tag == "circle":
        return float(el.get("cx"))
    if tag == "rect":
        return float(el.get("x")) + float(el.get("width")) / 2
    return float(el.get("points").split()[0].split(",")[0])


def same_x(x):
    """Coordinates are written to 0.01; a day's slot is at least 3 units wide."""
    return pytest.approx(x, abs=0.011)


def three_charts(days=None):
    return [
        pain_chart(
            axis=AXIS,
            daily_nrs={TODAY: 5, TODAY - timedelta(days=1): 6, TODAY - timedelta(days=3): 4},
            peg_scores=[(TODAY - timedelta(days=1), Decimal("5.3"))],
        ),
        sleep_chart(
            axis=AXIS,
            total_sleep_min={TODAY - timedelta(days=1): 420, TODAY - timedelta(days=3): 300},
            efficiency_pct={
                TODAY - timedelta(days=1): Decimal("88.0"),
                TODAY - timedelta(days=3): Decimal("70.5"),
            },
            quality={TODAY - timedelta(days=1): 4, TODAY - timedelta(days=3): 2},
        ),
        kratom_chart(
            axis=AXIS,
            leaf_g={TODAY - timedelta(days=1): Decimal("3.5"), TODAY - timedelta(days=3): 0},
        ),
    ]


def test_every_chart_is_well_formed_svg_with_role_title_and_desc():
    for chart in three_charts():
        root = svg_of(chart)

        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title.text == chart.title
        assert desc.text == chart.description
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert root.get("viewBox").startswith("0 0 340 ")


def test_a_date_sits_at_the_same_x_in_all_three_charts():
    pain, sleep, kratom = (svg_of(chart) for chart in three_charts())
    day = (TODAY - timedelta(days=1)).isoformat()

    xs = [
        centre_x(marks(pain, "nrs")[day]),
        centre_x(marks(pain, "peg")[day]),
        centre_x(marks(sleep, "sleep-bar")[day]),
        centre_x(marks(sleep, "efficiency")[day]),
        centre_x(marks(sleep, "quality")[day]),
        centre_x(marks(kratom, "kratom-bar")[day]),
    ]

    assert xs == [same_x(AXIS.x(TODAY - timedelta(days=1)))] * 6
    zero_day = (TODAY - timedelta(days=3)).isoformat()
    assert centre_x(marks(kratom, "zero-mark")[zero_day]) == same_x(
        centre_x(marks(pain, "nrs")[zero_day])
    )


def test_the_axis_spreads_the_window_evenly_and_keeps_the_last_day_labelled():
    assert AXIS.x(AXIS.start) < AXIS.x(AXIS.start + timedelta(days=1)) < AXIS.x(TODAY)
    assert AXIS.x(TODAY) - AXIS.x(TODAY - timedelta(days=1)) == pytest.approx(AXIS.slot)
    assert AXIS.ticks()[-1] == TODAY
    for days in (7, 30, 90):
        assert len(DateAxis.ending(TODAY, days).ticks()) <= 7


def x_labels(chart):
    return [
        (el.get("data-tick"), float(el.get("x")), el.get("text-anchor"), "/".join(el.itertext()))
        for el in svg_of(chart).iter(f"{SVG}text")
        if el.get("data-tick")
    ]


def test_a_week_labels_every_day_with_its_weekday_over_its_date():
    labels = x_labels(pain_chart(axis=DateAxis.ending(TODAY, 7), daily_nrs={}))

    assert sorted(text for *_, text in labels) == sorted(
        ["Fri/27", "Sat/28", "Sun/29", "Mon/30", "Tue/31", "Wed/1", "Thu/2"]
    )


@pytest.mark.parametrize(("days", "count"), [(30, 5), (90, 7)])
def test_longer_windows_label_every_tick_and_always_the_last_day(days, count):
    axis = DateAxis.ending(TODAY, days)

    labels = x_labels(kratom_chart(axis=axis, leaf_g={}))

    assert {tick for tick, *_ in labels} == {day.isoformat() for day in axis.ticks()}
    assert len(labels) == count
    [last] = [label for label in labels if label[0] == "2026-04-02"]
    assert last[3] == "2 Apr"


def test_labels_that_would_collide_make_room_for_the_last_day():
    axis = DateAxis.ending(TODAY, 14)  # a tick every other day: too close for "29 Mar"

    labels = sorted(x_labels(pain_chart(axis=axis, daily_nrs={})), key=lambda label: label[1])

    assert labels[-1][0] == "2026-04-02"
    assert len(labels) < len(axis.ticks())
    centres = [x for _, x, anchor, _ in labels if anchor == "middle"]
    assert all(b - a >= 40 for a, b in pairwise(centres))


def test_a_missing_day_breaks_the_line_and_has_no_mark():
    pain, sleep, kratom = (svg_of(chart) for chart in three_charts())
    missing = (TODAY - timedelta(days=2)).isoformat()

    [line] = [el for el in pain.iter(f"{SVG}path") if el.get("class") == "nrs-line"]
    # Yesterday and today are joined; three days ago stands alone, so no segment reaches it.
    assert line.get("d").count("M") == 1
    assert line.get("d").count("L") == 1
    for root in (pain, sleep, kratom):
        assert missing not in {el.get("data-date") for el in root.iter()}


def test_a_logged_day_without_kratom_is_a_baseline_ring_not_a_bar():
    kratom = svg_of(three_charts()[2])
    zero_day = (TODAY - timedelta(days=3)).isoformat()

    assert zero_day in marks(kratom, "zero-mark")
    assert zero_day not in marks(kratom, "kratom-bar")
    assert TODAY.isoformat() not in {el.get("data-date") for el in kratom.iter()}


def test_nights_with_no_diary_break_the_efficiency_line():
    chart = sleep_chart(
        axis=AXIS,
        total_sleep_min={TODAY - timedelta(days=d): 400 for d in (1, 2, 4, 5)},
        efficiency_pct={TODAY - timedelta(days=d): Decimal(90) for d in (1, 2, 4, 5)},
        quality={},
    )
    [line] = [el for el in svg_of(chart).iter(f"{SVG}path") if el.get("class") == "efficiency-line"]

    assert line.get("d").count("M") == 2


def test_data_outside_the_axis_is_not_drawn_or_listed():
    axis = DateAxis.ending(TODAY, 7)
    chart = pain_chart(axis=axis, daily_nrs={TODAY - timedelta(days=7): 9, TODAY: 3})

    assert set(marks(svg_of(chart), "nrs")) == {TODAY.isoformat()}
    assert chart.rows == (("Thu 2 Apr", "3.0", "no entry"),)


def test_the_text_alternative_lists_days_with_data_newest_first():
    pain, sleep, kratom = three_charts()

    assert pain.rows == (
        ("Thu 2 Apr", "5.0", "no entry"),
        ("Wed 1 Apr", "6.0", "5.3"),
        ("Mon 30 Mar", "4.0", "no entry"),
    )
    assert sleep.rows == (
        ("Wed 1 Apr", "7 h", "88.0%", "4 (good)"),
        ("Mon 30 Mar", "5 h", "70.5%", "2 (poor)"),
    )
    assert kratom.rows == (("Wed 1 Apr", "3.5"), ("Mon 30 Mar", "0.0"))


def test_descriptions_summarise_the_data_in_words():
    pain, sleep, kratom = three_charts()

    assert pain.description.startswith("Daily pain on a scale of 0 to 10, entries on 3 of 30 days")
    assert "lowest 4.0, highest 6.0, most recent 5.0 on 2 April 2026." in pain.description
    assert "1 PEG score, most recent 5.3 on 1 April 2026" in pain.description
    assert "Sleep diaries for 2 of 30 nights, average total sleep 6 h" in sleep.description
    assert "kratom leaf on 1 of them; highest 3.5 g on 1 April 2026" in kratom.description


def test_empty_charts_still_draw_the_axis_and_say_there_is_no_data():
    empty = journal_charts(axis=AXIS, series=plain_series())

    for chart in empty:
        root = svg_of(chart)
        assert not [el for el in root.iter() if el.get("data-date")]
        [last_label] = [el for el in root.iter(f"{SVG}text") if el.get("data-tick") == "2026-04-02"]
        assert "".join(last_label.itertext()) == "2 Apr"
        assert chart.rows == ()
    assert "No daily pain entries. No PEG scores." in empty[0].description
    assert "No sleep diaries." in empty[1].description
    assert "No entries." in empty[2].description


def test_text_in_the_data_is_escaped():
    chart = kratom_chart(
        axis=AXIS, leaf_g={}, marked_days=[TODAY], marked_label='Alcohol <b>"same day"</b> & co'
    )

    root = svg_of(chart)

    assert 'Alcohol <b>"same day"</b> & co' in "".join(root.itertext())
    assert "<b>" not in str(chart.svg)


def test_marked_days_get_a_marker_and_a_table_column():
    chart = kratom_chart(
        axis=AXIS,
        leaf_g={TODAY: Decimal(2)},
        marked_days=[TODAY, TODAY - timedelta(days=40)],
        marked_label="Alcohol or a sedative",
    )

    assert set(marks(svg_of(chart), "day-marker")) == {TODAY.isoformat()}
    assert chart.columns == ("Date", "Kratom leaf (g)", "Alcohol or a sedative")
    assert chart.rows == (("Thu 2 Apr", "2.0", "yes"),)
    assert "Alcohol or a sedative: 1 day." in chart.description


def test_the_kratom_axis_grows_to_fit_the_largest_day():
    chart = kratom_chart(axis=AXIS, leaf_g={TODAY: Decimal(23)})
    labels = {el.text for el in svg_of(chart).iter(f"{SVG}text")}

    assert {"0", "15", "30"} <= labels
    assert {"0", "5", "10"} <= {
        el.text for el in svg_of(kratom_chart(axis=AXIS, leaf_g={})).iter(f"{SVG}text")
    }


def test_an_axis_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="ends on or after"):
        DateAxis(start=TODAY, end=TODAY - timedelta(days=1))


def test_charts_of_a_real_series_line_up_across_dst(alice, frozen_now):
    pain_at(alice, local(date(2026, 3, 30), 0, 30), 8)
    use_at(alice, local(date(2026, 3, 30), 0, 45))
    SleepEntryFactory(patient=alice, night_of=date(2026, 3, 30))
    series = trend_series(patient=alice, since=summary_since(TODAY), until=TODAY)

    pain, sleep, kratom = (svg_of(c) for c in journal_charts(axis=AXIS, series=series))

    day = "2026-03-30"
    x = AXIS.x(date(2026, 3, 30))
    assert centre_x(marks(pain, "nrs")[day]) == same_x(x)
    assert centre_x(marks(sleep, "sleep-bar")[day]) == same_x(x)
    assert centre_x(marks(kratom, "kratom-bar")[day]) == same_x(x)
