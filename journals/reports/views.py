"""The patient's Trends page and the printable visit summary (the patient's own and the care
team's)."""

import uuid
from datetime import UTC, date

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from journals.reports.charts import DateAxis, journal_charts
from journals.reports.trends import (
    WINDOW_CHOICES,
    patient_today,
    summary_since,
    trend_series,
    weekly_summary,
    window_days,
)
from journals.reports.visit_summary import PeriodForm, period_heading, visit_summary
from journals.safety import CO_USE_LABEL, patient_co_use_days
from journals.thresholds import effective_thresholds
from patients.audit import audit_reads
from patients.models import User
from patients.permissions import (
    SignedInRequest,
    clinician_required,
    get_patient_for_user,
    patient_required,
)


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


@require_safe
@patient_required
def own_summary(request: SignedInRequest) -> HttpResponse:
    return _render(request, request.user, for_care_team=False)


@require_safe
@clinician_required
def patient_summary(request: SignedInRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient_for_user(request.user, str(patient_id))
    audit_reads(request=request, actor=request.user, patients=[patient], object_type="summary")
    return _render(request, patient, for_care_team=True)


def _render(request: SignedInRequest, patient: User, *, for_care_team: bool) -> HttpResponse:
    """``?since=&until=`` (local dates, the last 30 days by default); a bad period is 400
    with the reasons next to the fields, and nothing else."""
    form = PeriodForm(request.GET, today=patient_today(patient))
    # "Printed" is the reader's today: a clinician's in their own zone, not the patient's.
    reader = request.user.profile
    reader_zone = reader.zone if reader is not None else UTC
    context: dict[str, object] = {
        "form": form,
        "patient": patient,
        "for_care_team": for_care_team,
        "nav": "clinic" if for_care_team else "trends",
        "printed_on": timezone.now().astimezone(reader_zone).date(),
        "reader_zone": reader_zone,
    }
    if not form.is_valid():
        return render(request, "journals/visit_summary.html", context, status=400)
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    context["form"] = PeriodForm(initial={"since": since, "until": until}, today=until)
    marked_days: set[date] = set()
    if for_care_team:
        window = effective_thresholds(patient=patient).co_use_window_hours
        marked_days = patient_co_use_days(
            patient=patient, since=since, until=until, window_hours=window
        )
    summary = visit_summary(
        patient=patient,
        since=since,
        until=until,
        with_reviews=for_care_team,
        marked_days=marked_days,
        marked_label=CO_USE_LABEL if for_care_team else "",
    )
    context.update(summary=summary, period=period_heading(summary.axis), axis=summary.axis)
    context["charts"] = summary.charts
    return render(request, "journals/visit_summary.html", context)
