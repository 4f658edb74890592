"""Trends: the patient's own charts and a plain-language summary."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from journals.charts import DateAxis, journal_charts
from journals.trends import (
    WINDOW_CHOICES,
    patient_today,
    summary_since,
    trend_series,
    weekly_summary,
    window_days,
)
from patients.permissions import SignedInRequest, patient_required


@require_safe
@patient_required
def trends(request: SignedInRequest) -> HttpResponse:
    """``?days=7|30|90`` (30 otherwise): a weekly summary, then charts on one date axis."""
    days = window_days(request.GET.get("days"))
    today = patient_today(request.user)
    axis = DateAxis.ending(today, days)
    # One read covers both the charts' window and the two weeks the summary compares.
    series = trend_series(
        patient=request.user, since=min(axis.start, summary_since(today)), until=today
    )
    return render(
        request,
        "journals/trends.html",
        {
            "nav": "trends",
            "days": days,
            "window_choices": WINDOW_CHOICES,
            "axis": axis,
            "summary": weekly_summary(series, today=today),
            "charts": journal_charts(axis=axis, series=series),
        },
    )
