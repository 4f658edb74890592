"""The clinician's patient page: timeline, flags with evidence, reviews, entries, thresholds.

Every view reaches the patient through ``get_patient_for_user``, so a patient outside the
clinician's care teams (another clinic, consent revoked) is 404. Each form posts to its own
URL and redirects back to the page with a message (PRG); only invalid threshold overrides
re-render the page, with the messages next to the fields.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from journals.flags import services
from journals.flags.forms import FlagNoteForm, ReviewForm, ThresholdOverridesForm
from journals.flags.patient_page import (
    ENTRIES_DAYS,
    RECENT_FLAG_DAYS,
    REVIEWS_SHOWN,
    TIMELINE_DAYS,
    last_entry_text,
    patient_flags,
    recent_entries,
    timeline_charts,
)
from journals.models import (
    Flag,
    PatientThresholds,
    Review,
)
from journals.reports.charts import DateAxis
from journals.reports.trends import patient_today, trend_series
from journals.thresholds import clinic_thresholds
from patients.audit import audit_reads
from patients.models import User
from patients.permissions import SignedInRequest, clinician_required, get_patient_for_user

FLAG_ACTIONS = {
    "acknowledge": (services.flag_acknowledge, "acknowledged"),
    "resolve": (services.flag_resolve, "resolved"),
}


@require_safe
@clinician_required
def patient_page(request: SignedInRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient_for_user(request.user, str(patient_id))
    return _render_page(request, patient)


@require_POST
@clinician_required
def flag_change(
    request: SignedInRequest, patient_id: uuid.UUID, flag_id: uuid.UUID, action: str
) -> HttpResponse:
    """Acknowledge or resolve one of the patient's flags, with an optional note."""
    patient = get_patient_for_user(request.user, str(patient_id))
    if action not in FLAG_ACTIONS:
        raise Http404
    flag = Flag.objects.filter(patient=patient, pk=flag_id).first()
    if flag is None:
        raise Http404
    move, done = FLAG_ACTIONS[action]
    form = FlagNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form.errors.values()))
        return _back(patient)
    try:
        move(flag=flag, clinician=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, _first_error([exc.messages]))
        return _back(patient)
    messages.success(request, f"Flag “{flag.get_rule_display()}” {done}.")
    return _back(patient)


@require_POST
@clinician_required
def review_create(request: SignedInRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Mark the patient reviewed up to now, with an optional note."""
    patient = get_patient_for_user(request.user, str(patient_id))
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form.errors.values()))
        return _back(patient)
    services.review_create(patient=patient, clinician=request.user, note=form.cleaned_data["note"])
    messages.success(request, f"{patient.display_name} marked reviewed up to now.")
    return _back(patient)


@require_POST
@clinician_required
def thresholds_update(request: SignedInRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The overrides; invalid values re-render the page and nothing is saved."""
    patient = get_patient_for_user(request.user, str(patient_id))
    form = _thresholds_form(patient, data=request.POST)
    if not form.is_valid():
        return _render_page(request, patient, thresholds_form=form, status=400)
    try:
        services.thresholds_update(patient=patient, clinician=request.user, data=form.overrides())
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _render_page(request, patient, thresholds_form=form, status=400)
    messages.success(request, "Thresholds saved.")
    return _back(patient)


def _back(patient: User) -> HttpResponseRedirect:
    return redirect(reverse("clinician-patient", kwargs={"patient_id": patient.pk}))


def _first_error(error_lists: Iterable[Iterable[Any]]) -> str:
    for errors in error_lists:
        for error in errors:
            return str(error)
    return "That did not work."


def _thresholds_form(
    patient: User, data: Mapping[str, Any] | None = None
) -> ThresholdOverridesForm:
    overrides = PatientThresholds.objects.filter(pk=patient.pk).first()
    return ThresholdOverridesForm(
        data,
        instance=overrides or PatientThresholds(patient=patient),
        clinic_defaults=clinic_thresholds(clinic_id=patient.patient_profile.clinic_id),
    )


def _render_page(
    request: SignedInRequest,
    patient: User,
    *,
    thresholds_form: ThresholdOverridesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page in a fixed number of queries, whatever the number of entries and flags."""
    zone = patient.patient_profile.zone
    today = patient_today(patient)
    axis = DateAxis.ending(today, TIMELINE_DAYS)
    series = trend_series(patient=patient, since=axis.start, until=today)
    reviews = list(
        Review.objects.filter(patient=patient).select_related("clinician")[:REVIEWS_SHOWN]
    )
    flags = patient_flags(patient)
    thresholds_form = thresholds_form or _thresholds_form(patient)
    co_use_window = thresholds_form.in_effect.co_use_window_hours
    audit_reads(request=request, actor=request.user, patients=[patient], object_type="patient")
    return render(
        request,
        "journals/clinician_patient.html",
        {
            "nav": "clinic",
            "patient": patient,
            "zone": zone,
            "last_entry": last_entry_text(patient, zone),
            "last_review": reviews[0] if reviews else None,
            "axis": axis,
            "charts": timeline_charts(patient, axis, series, co_use_window),
            "open_flags": [f for f in flags if f.is_open],
            "other_flags": [f for f in flags if not f.is_open],
            "recent_flag_days": RECENT_FLAG_DAYS,
            "flag_form": FlagNoteForm(),
            "review_form": ReviewForm(),
            "reviews": reviews,
            "entries": recent_entries(
                patient, zone, since=today - timedelta(days=ENTRIES_DAYS - 1)
            ),
            "entries_days": ENTRIES_DAYS,
            "thresholds_form": thresholds_form,
        },
        status=status,
    )
