"""Derived sleep measures (CLINICAL.md, Consensus Sleep Diary), computed here and only here.

- time in bed  TIB = rise_at − bedtime (at most 16 h: ``journals.validators.MAX_TIME_IN_BED``)
- total sleep  TST = (final_wake_at − lights_out_at) − SOL − WASO
- efficiency   SE  = 100 × TST / TIB, one decimal, half up, never above 100

Durations are taken from the exact times and rounded half up to whole minutes at the end,
so a diary given to the second agrees with one given to the minute. They are real elapsed
time: Python subtracts two datetimes that share a tzinfo on the wall clock, which across a
DST change is an hour off, so every time is taken to UTC first.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class SleepMetrics:
    time_in_bed_min: int
    total_sleep_min: int
    sleep_efficiency_pct: Decimal


def half_up(value: Decimal, step: Decimal = Decimal(1)) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def elapsed_seconds(start: datetime, end: datetime) -> Decimal:
    return Decimal((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds())


def sleep_metrics(
    *,
    bedtime: datetime,
    lights_out_at: datetime,
    final_wake_at: datetime,
    rise_at: datetime,
    sleep_onset_latency_min: int,
    wake_after_sleep_onset_min: int,
) -> SleepMetrics:
    tib_s = elapsed_seconds(bedtime, rise_at)
    asleep_window_s = elapsed_seconds(lights_out_at, final_wake_at)
    tst_s = max(
        Decimal(0),
        asleep_window_s - 60 * (sleep_onset_latency_min + wake_after_sleep_onset_min),
    )
    if tib_s <= 0:
        efficiency = Decimal(0)
    else:
        efficiency = min(Decimal(100), half_up(100 * tst_s / tib_s, ONE_DECIMAL))
    return SleepMetrics(
        time_in_bed_min=int(half_up(tib_s / 60)),
        total_sleep_min=int(half_up(tst_s / 60)),
        sleep_efficiency_pct=efficiency.quantize(ONE_DECIMAL),
    )


def peg_score(
    pain_average: int, enjoyment_interference: int, activity_interference: int
) -> Decimal:
    """PEG-3 score: the mean of the three items, one decimal (Krebs et al. 2009)."""
    total = Decimal(pain_average + enjoyment_interference + activity_interference)
    return half_up(total / 3, ONE_DECIMAL)
