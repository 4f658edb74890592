"""The visit summary: one patient's journal over a chosen period, on one printable page.

For the appointment: averages of pain, sleep and kratom leaf over the period and how the
second half compares with the first, the charts, the safety flags raised in the period and
how they were handled, and (for the care team only) the review notes. The patient is scoped
by the caller (``patient_required`` or the permissions module).
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import fmean
from typing import Any

from django import forms
from django.db.models import QuerySet

from journals.metrics import ONE_DECIMAL, half_up
from journals.models import Flag, Review
from journals.reports.charts import Chart, DateAxis, journal_charts
from journals.reports.trends import TrendSeries, trend_series
from journals.selectors import local_midnight
from journals.text import format_minutes
from journals.validators import EARLIEST
from patients.models import User

DEFAULT_DAYS = 30
MAX_DAYS = 366
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """``?since=&until=`` as local dates; the 30 days ending today when both are absent."""

    since = forms.DateField(required=False, label="From", widget=DATE_INPUT)
    until = forms.DateField(required=False, label="To", widget=DATE_INPUT)

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        first_day = EARLIEST.date()
        for name in ("since", "until"):
            if data.get(name) and data[name] < first_day:
                self.add_error(name, f"Choose a date from {first_day:%-d %B %Y} on.")
                return data
        until: date = data.get("until") or self.today
        since: date = data.get("since") or max(until - timedelta(days=DEFAULT_DAYS - 1), first_day)
        if until > self.today:
            self.add_error("until", "The period cannot end after today.")
        if since > until:
            self.add_error("since", "The period must start on or before its last day.")
        elif (until - since).days + 1 > MAX_DAYS:
            self.add_error("since", f"Choose a period of at most {MAX_DAYS} days.")
        data.update(since=since, until=until)
        return data


@dataclass(frozen=True)
class Measure:
    """One row of the summary table: the period, its first half and its second half."""

    key: str
    label: str
    whole: str
    first_half: str
    second_half: str
    change: str  # "up", "down", "same" or "" when a half has no entries


@dataclass(frozen=True)
class VisitSummary:
    patient: User
    axis: DateAxis
    days_logged: int
    measures: list[Measure]
    charts: list[Chart]
    flags: list[Flag]
    reviews: list[Review]

    @property
    def days(self) -> int:
        return self.axis.count


def visit_summary(
    *,
    patient: User,
    since: date,
    until: date,
    with_reviews: bool,
    marked_days: Collection[date] = (),
    marked_label: str = "",
) -> VisitSummary:
    """Five queries: four for the entries (``trend_series``), one for the flags, and one
    more for the review notes when the reader is on the care team."""
    axis = DateAxis(start=since, end=until)
    series = trend_series(patient=patient, since=since, until=until)
    zone = patient.patient_profile.zone
    start = local_midnight(since, zone)
    end = local_midnight(until + timedelta(days=1), zone)
    flags = list(
        Flag.objects.filter(patient=patient, created_at__gte=start, created_at__lt=end)
        .select_related("acknowledged_by", "resolved_by")
        .order_by("created_at")
    )
    reviews: list[Review] = []
    if with_reviews:
        reviews = list(_reviews(patient, start, end))
    return VisitSummary(
        patient=patient,
        axis=axis,
        days_logged=len(series.kratom_leaf_g.keys() | series.total_sleep_min.keys()),
        measures=_measures(series, axis),
        charts=journal_charts(
            axis=axis, series=series, marked_days=marked_days, marked_label=marked_label
        ),
        flags=flags,
        reviews=reviews,
    )


def _reviews(patient: User, start: datetime, end: datetime) -> QuerySet[Review]:
    return (
        Review.objects.filter(patient=patient, reviewed_at__gte=start, reviewed_at__lt=end)
        .select_related("clinician")
        .order_by("reviewed_at")
    )


def _measures(series: TrendSeries, axis: DateAxis) -> list[Measure]:
    middle = axis.start + timedelta(days=axis.count // 2)

    def row(key: str, label: str, values: Mapping[date, Decimal | int], show: str) -> Measure:
        whole = _mean(list(values.values()))
        first = _mean([v for d, v in values.items() if d < middle])
        second = _mean([v for d, v in values.items() if d >= middle])
        return Measure(
            key=key,
            label=label,
            whole=_show(whole, show),
            first_half=_show(first, show),
            second_half=_show(second, show),
            change=_change(first, second, show),
        )

    peg = dict(series.peg_scores)  # weekly: one a day at most, in practice
    return [
        row("pain", "Pain (0–10), average of daily means", series.pain_nrs, "decimal"),
        row("peg", "PEG score (0–10), average", peg, "decimal"),
        row("total_sleep", "Total sleep per night", series.total_sleep_min, "minutes"),
        row("sleep_efficiency", "Sleep efficiency", series.sleep_efficiency_pct, "percent"),
        row("sleep_quality", "Sleep quality (1–5)", series.sleep_quality, "decimal"),
        row("kratom_leaf", "Kratom leaf per logged day", series.kratom_leaf_g, "grams"),
    ]


def _mean(values: Sequence[Decimal | int]) -> Decimal | None:
    if not values:
        return None
    return Decimal(str(fmean(float(v) for v in values)))


def _rounded(value: Decimal, show: str) -> Decimal:
    return half_up(value, Decimal(1) if show == "minutes" else ONE_DECIMAL)


def _show(value: Decimal | None, show: str) -> str:
    if value is None:
        return "no entries"
    shown = _rounded(value, show)
    return {
        "minutes": format_minutes(shown),
        "percent": f"{shown}%",
        "grams": f"{shown} g",
    }.get(show, str(shown))


def _change(first: Decimal | None, second: Decimal | None, show: str) -> str:
    """The second half less the first, as shown (``+0.4``, ``−25 min``, ``no change``): the
    size, not a verdict; the page says what size of change matters (CLINICAL.md)."""
    if first is None or second is None:
        return ""
    difference = _rounded(second, show) - _rounded(first, show)
    if not difference:
        return "no change"
    sign = "+" if difference > 0 else "\u2212"
    return sign + _show(abs(difference), show).replace("%", " points")


def period_heading(axis: DateAxis) -> str:
    days = f"{axis.count} day" if axis.count == 1 else f"{axis.count} days"
    return f"{axis.start:%-d %B %Y} to {axis.end:%-d %B %Y} ({days})"
