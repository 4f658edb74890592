"""Trend series and weekly summaries of one patient's journal, by the patient's local day.

A day is the patient's local calendar day in their own zone, so a DST change makes a day
23 or 25 hours long and nothing else. Each kind of entry is read with one query of only the
columns needed, and aggregated here; sleep measures come from ``journals.metrics``.

The patient is scoped by the caller (``patient_required`` or the permissions module).
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import fmean
from typing import Literal

from journals.metrics import ONE_DECIMAL, half_up, peg_score, sleep_metrics
from journals.models import PainEntry, PegAssessment, SleepEntry, UseEntry
from journals.selectors import entries_in_local_dates
from journals.text import format_minutes
from journals.validators import is_kratom_leaf
from patients.models import User

WINDOW_CHOICES = (7, 30, 90)
DEFAULT_WINDOW = 30
WEEK = 7


def window_days(value: str | None) -> int:
    """The ``?days=`` a page asked for, or the default for anything else."""
    try:
        days = int(value or "")
    except ValueError:
        return DEFAULT_WINDOW
    return days if days in WINDOW_CHOICES else DEFAULT_WINDOW


def patient_today(patient: User) -> date:
    return patient.patient_profile.local_now().date()


def summary_since(today: date) -> date:
    """The first day a weekly summary reads: this week and the week before, 14 days."""
    return today - timedelta(days=2 * WEEK - 1)


@dataclass(frozen=True)
class TrendSeries:
    """Daily values of one patient from ``since`` to ``until`` (local dates, inclusive).

    A day without a value is absent from its mapping: missing, never zero.
    """

    since: date
    until: date
    # Mean NRS of the local day, unrounded.
    pain_nrs: dict[date, Decimal]
    # PEG-3 score of each assessment on its local date, oldest first.
    peg_scores: list[tuple[date, Decimal]]
    # By ``night_of``, the date of the evening the night began.
    total_sleep_min: dict[date, int]
    sleep_efficiency_pct: dict[date, Decimal]
    sleep_quality: dict[date, int]
    # Kratom leaf grams (powder, capsule, tea) of the local day; 0 on a day the patient
    # logged pain, a PEG or any use without leaf kratom; absent on a day without such entries.
    kratom_leaf_g: dict[date, Decimal]


def trend_series(*, patient: User, since: date, until: date) -> TrendSeries:
    """One query per kind of entry, whatever the number of entries."""
    zone = patient.patient_profile.zone

    def local_day(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    # Days with an entry that would have said so had the patient taken kratom. A sleep diary
    # does not ask about use (and a morning diary would make today a zero before the evening).
    logged: set[date] = set()

    pain = entries_in_local_dates(
        PainEntry.objects.filter(patient=patient), zone=zone, since=since, until=until
    ).values_list("recorded_at", "intensity")
    intensities: dict[date, list[int]] = defaultdict(list)
    for recorded_at, intensity in pain:
        day = local_day(recorded_at)
        intensities[day].append(intensity)
        logged.add(day)

    pegs = (
        entries_in_local_dates(
            PegAssessment.objects.filter(patient=patient), zone=zone, since=since, until=until
        )
        .order_by("recorded_at", "id")
        .values_list(
            "recorded_at", "pain_average", "enjoyment_interference", "activity_interference"
        )
    )
    peg_scores: list[tuple[date, Decimal]] = []
    for recorded_at, average, enjoyment, activity in pegs:
        day = local_day(recorded_at)
        peg_scores.append((day, peg_score(average, enjoyment, activity)))
        logged.add(day)

    uses = entries_in_local_dates(
        UseEntry.objects.filter(patient=patient), zone=zone, since=since, until=until
    ).values_list("taken_at", "substance", "form", "amount")
    leaf_g: dict[date, Decimal] = defaultdict(Decimal)
    for taken_at, substance, form, amount in uses:
        day = local_day(taken_at)
        logged.add(day)
        if is_kratom_leaf(substance, form):
            leaf_g[day] += amount

    nights = entries_in_local_dates(
        SleepEntry.objects.filter(patient=patient), zone=zone, since=since, until=until
    ).values_list(
        "night_of",
        "bedtime",
        "lights_out_at",
        "final_wake_at",
        "rise_at",
        "sleep_onset_latency_min",
        "wake_after_sleep_onset_min",
        "quality",
    )
    total_sleep: dict[date, int] = {}
    efficiency: dict[date, Decimal] = {}
    quality: dict[date, int] = {}
    for night_of, bedtime, lights_out, final_wake, rise, sol, waso, rating in nights:
        metrics = sleep_metrics(
            bedtime=bedtime,
            lights_out_at=lights_out,
            final_wake_at=final_wake,
            rise_at=rise,
            sleep_onset_latency_min=sol,
            wake_after_sleep_onset_min=waso,
        )
        total_sleep[night_of] = metrics.total_sleep_min
        efficiency[night_of] = metrics.sleep_efficiency_pct
        quality[night_of] = rating

    return TrendSeries(
        since=since,
        until=until,
        pain_nrs={
            day: Decimal(sum(values)) / len(values) for day, values in sorted(intensities.items())
        },
        peg_scores=peg_scores,
        total_sleep_min=dict(sorted(total_sleep.items())),
        sleep_efficiency_pct=dict(sorted(efficiency.items())),
        sleep_quality=dict(sorted(quality.items())),
        kratom_leaf_g={day: leaf_g.get(day, Decimal(0)) for day in sorted(logged)},
    )


# The weekly summary: this week (the 7 local days ending today) against the week before.

Change = Literal["up", "down", "same"]


@dataclass(frozen=True)
class WeekComparison:
    key: str
    # As shown, rounded, so "the same" means the same figure on the page.
    this_week: Decimal | None
    week_before: Decimal | None
    sentence: str

    @property
    def change(self) -> Change | None:
        if self.this_week is None or self.week_before is None:
            return None
        if self.this_week == self.week_before:
            return "same"
        return "up" if self.this_week > self.week_before else "down"


def _mean_in(values: Mapping[date, Decimal | int], first: date, last: date) -> float | None:
    found = [float(v) for day, v in values.items() if first <= day <= last]
    return fmean(found) if found else None


def _compare(
    *,
    key: str,
    subject: str,
    this_week: float | None,
    week_before: float | None,
    step: Decimal,
    show: Callable[[Decimal], str],
) -> WeekComparison:
    now = None if this_week is None else half_up(Decimal(str(this_week)), step)
    before = None if week_before is None else half_up(Decimal(str(week_before)), step)
    if now is not None and before is not None:
        if now == before:
            sentence = f"{subject} this week {show(now)}, the same as the week before."
        else:
            direction = "up" if now > before else "down"
            sentence = (
                f"{subject} this week {show(now)}, {direction} from {show(before)} the week before."
            )
    elif now is not None:
        sentence = f"{subject} this week {show(now)}; no entries the week before."
    elif before is not None:
        sentence = f"{subject} this week: no entries; {show(before)} the week before."
    else:
        sentence = f"{subject}: no entries this week or the week before."
    return WeekComparison(key=key, this_week=now, week_before=before, sentence=sentence)


def weekly_summary(series: TrendSeries, *, today: date) -> list[WeekComparison]:
    """Pain, sleep and kratom leaf this week against the week before, in plain sentences.

    Averages are over the days (or nights) with entries: average pain is the mean of the
    daily means, so a day with three entries weighs as much as a day with one.
    """
    if series.since > summary_since(today) or series.until < today:
        raise ValueError("The series must cover the 14 days ending today.")
    week_start = today - timedelta(days=WEEK - 1)
    before_start, before_end = week_start - timedelta(days=WEEK), week_start - timedelta(days=1)

    def means(values: Mapping[date, Decimal | int]) -> tuple[float | None, float | None]:
        return _mean_in(values, week_start, today), _mean_in(values, before_start, before_end)

    pain = means(series.pain_nrs)
    total_sleep = means(series.total_sleep_min)
    efficiency = means(series.sleep_efficiency_pct)
    leaf = means(series.kratom_leaf_g)

    return [
        _compare(
            key="pain",
            subject="Average pain",
            step=ONE_DECIMAL,
            show=str,
            this_week=pain[0],
            week_before=pain[1],
        ),
        _compare(
            key="total_sleep",
            subject="Average total sleep",
            step=Decimal(1),
            show=format_minutes,
            this_week=total_sleep[0],
            week_before=total_sleep[1],
        ),
        _compare(
            key="sleep_efficiency",
            subject="Average sleep efficiency",
            step=ONE_DECIMAL,
            show=lambda value: f"{value}%",
            this_week=efficiency[0],
            week_before=efficiency[1],
        ),
        _compare(
            key="kratom_leaf",
            subject="Average kratom leaf per logged day",
            step=ONE_DECIMAL,
            show=lambda value: f"{value} g",
            this_week=leaf[0],
            week_before=leaf[1],
        ),
    ]
