"""Derived sleep measures and the PEG score (CLINICAL.md), by example and by property."""

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journals.metrics import peg_score, sleep_metrics
from tests.journals.helpers import BERLIN, local, sleep_times
from tests.journals.strategies import Diary, diaries

PROPERTY = settings(max_examples=100, deadline=None)


def metrics_of(diary: Diary):
    return sleep_metrics(**diary.times())


# Examples -------------------------------------------------------------------------------


def test_the_known_night_has_510_minutes_in_bed_390_asleep_and_76_5_percent_efficiency():
    times = sleep_times(date(2026, 3, 1))

    metrics = sleep_metrics(**times, sleep_onset_latency_min=20, wake_after_sleep_onset_min=40)

    assert metrics.time_in_bed_min == 510
    assert metrics.total_sleep_min == 390
    assert metrics.sleep_efficiency_pct == Decimal("76.5")


def test_efficiency_is_rounded_half_up():
    # TST 349 of TIB 400 minutes is exactly 87.25 %.
    bedtime = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    wake = bedtime + timedelta(minutes=400)

    metrics = sleep_metrics(
        bedtime=bedtime,
        lights_out_at=bedtime,
        final_wake_at=wake,
        rise_at=wake,
        sleep_onset_latency_min=21,
        wake_after_sleep_onset_min=30,
    )

    assert metrics.sleep_efficiency_pct == Decimal("87.3")


def test_a_night_asleep_from_lights_out_to_rising_is_100_percent_efficient():
    bedtime = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    rise = bedtime + timedelta(hours=8)

    metrics = sleep_metrics(
        bedtime=bedtime,
        lights_out_at=bedtime,
        final_wake_at=rise,
        rise_at=rise,
        sleep_onset_latency_min=0,
        wake_after_sleep_onset_min=0,
    )

    assert (metrics.total_sleep_min, metrics.sleep_efficiency_pct) == (480, Decimal("100.0"))


def test_durations_given_to_the_second_are_rounded_half_up_to_whole_minutes():
    bedtime = datetime(2026, 3, 1, 22, 0, 30, tzinfo=UTC)
    lights_out = datetime(2026, 3, 1, 22, 0, 30, tzinfo=UTC)
    wake = datetime(2026, 3, 2, 6, 0, 0, tzinfo=UTC)  # 479.5 minutes after both

    metrics = sleep_metrics(
        bedtime=bedtime,
        lights_out_at=lights_out,
        final_wake_at=wake,
        rise_at=wake,
        sleep_onset_latency_min=0,
        wake_after_sleep_onset_min=0,
    )

    assert (metrics.time_in_bed_min, metrics.total_sleep_min) == (480, 480)


@pytest.mark.parametrize(
    ("night", "time_in_bed_min"),
    [
        pytest.param(date(2026, 3, 28), 450, id="spring-forward"),
        pytest.param(date(2025, 10, 25), 570, id="fall-back"),
    ],
)
def test_a_night_across_a_clock_change_counts_the_minutes_that_passed(night, time_in_bed_min):
    # 22:30 → 07:00 Berlin time is 8½ hours on the clock, but one hour fewer or more passed.
    times = sleep_times(night, BERLIN)

    metrics = sleep_metrics(**times, sleep_onset_latency_min=0, wake_after_sleep_onset_min=0)

    assert metrics.time_in_bed_min == time_in_bed_min


def test_the_same_night_given_in_local_time_or_in_utc_has_the_same_metrics():
    local_times = {
        "bedtime": local(date(2026, 3, 28), 22, 30),
        "lights_out_at": local(date(2026, 3, 28), 23, 0),
        "final_wake_at": local(date(2026, 3, 29), 6, 30),
        "rise_at": local(date(2026, 3, 29), 7, 0),
    }
    utc_times = {field: value.astimezone(UTC) for field, value in local_times.items()}
    counts = {"sleep_onset_latency_min": 20, "wake_after_sleep_onset_min": 40}

    assert sleep_metrics(**local_times, **counts) == sleep_metrics(**utc_times, **counts)


@pytest.mark.parametrize(
    ("items", "score"),
    [
        ((0, 0, 0), "0.0"),
        ((0, 0, 1), "0.3"),
        ((0, 1, 1), "0.7"),
        ((6, 5, 4), "5.0"),
        ((7, 5, 4), "5.3"),
        ((10, 10, 9), "9.7"),
        ((10, 10, 10), "10.0"),
    ],
)
def test_peg_score_is_the_mean_of_the_three_items_to_one_decimal(items, score):
    result = peg_score(*items)

    assert result == Decimal(score)
    assert result.as_tuple().exponent == -1


# Properties -----------------------------------------------------------------------------


def one_decimal(value: Decimal) -> bool:
    return value.as_tuple().exponent == -1


@PROPERTY
@given(diary=diaries())
def test_efficiency_always_lies_between_0_and_100_percent(diary):
    efficiency = metrics_of(diary).sleep_efficiency_pct

    assert Decimal(0) <= efficiency <= Decimal(100)


@PROPERTY
@given(diary=diaries(whole_minutes=False))
def test_efficiency_always_has_one_decimal(diary):
    assert one_decimal(metrics_of(diary).sleep_efficiency_pct)


@PROPERTY
@given(diary=diaries(whole_minutes=False))
def test_total_sleep_is_never_more_than_time_in_bed(diary):
    metrics = metrics_of(diary)

    assert 0 <= metrics.total_sleep_min <= metrics.time_in_bed_min


@PROPERTY
@given(diary=diaries())
def test_time_in_bed_is_the_real_minutes_from_bedtime_to_rising(diary):
    assert metrics_of(diary).time_in_bed_min == diary.real_minutes("bedtime", "rise_at")


@PROPERTY
@given(diary=diaries())
def test_total_sleep_is_the_sleep_window_less_onset_latency_and_wake_after_onset(diary):
    window = diary.real_minutes("lights_out_at", "final_wake_at")
    expected = window - diary.sleep_onset_latency_min - diary.wake_after_sleep_onset_min

    assert metrics_of(diary).total_sleep_min == expected


@PROPERTY
@given(diary=diaries())
def test_efficiency_is_total_sleep_over_time_in_bed_rounded_half_up(diary):
    metrics = metrics_of(diary)
    exact = Fraction(100 * metrics.total_sleep_min, metrics.time_in_bed_min)
    tenths = math.floor(exact * 10 + Fraction(1, 2))

    assert metrics.sleep_efficiency_pct == Decimal(tenths) / 10


@settings(max_examples=100, deadline=None)
@given(items=st.tuples(*[st.integers(0, 10)] * 3))
def test_peg_score_is_the_mean_rounded_half_up_to_one_decimal(items):
    tenths = math.floor(Fraction(sum(items), 3) * 10 + Fraction(1, 2))

    score = peg_score(*items)

    assert score == Decimal(tenths) / 10
    assert one_decimal(score)
