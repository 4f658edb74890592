"""Today and the two daily check-ins, in the patient's own time zone (the middleware
activated it: ``timezone.localdate()`` and datetime fields read and show local times)."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from journals import checkin, services
from journals.forms import EveningCheckinForms, SleepDiaryForm
from journals.models import SleepEntry
from journals.selectors import checkin_evening
from journals.text import format_minutes
from journals.validators import day_in_words
from patients.permissions import SignedInRequest, patient_required

require_page_or_form = require_http_methods(["GET", "HEAD", "POST"])


@require_safe
@patient_required
def today(request: SignedInRequest) -> HttpResponse:
    patient = request.user
    summary = checkin.day_summary(
        patient=patient, day=timezone.localdate(), zone=patient.patient_profile.zone
    )
    return render(request, "journals/today.html", {"summary": summary, "nav": "today"})


@require_page_or_form
@patient_required
def evening_checkin(request: SignedInRequest) -> HttpResponse:
    """Pain, the weekly PEG when due, tonight's kratom and anything else: saved together."""
    patient = request.user
    forms = EveningCheckinForms(
        request.POST if request.method == "POST" else None,
        peg_due=checkin.peg_due(
            patient=patient, today=timezone.localdate(), zone=patient.patient_profile.zone
        ),
        kratom_initial=checkin.kratom_initial(patient=patient),
        now=timezone.localtime(),
    )
    if request.method == "POST":
        parts = forms.parts(now=timezone.now())
        try:
            if forms.is_valid():
                services.entries_create(patient=patient, parts=parts)
                messages.success(request, "Evening check-in saved.")
                return redirect("today")
            # A part is incomplete: check the complete ones too, so every error shows at once.
            services.entries_check(patient=patient, parts=parts)
        except services.EntriesInvalid as exc:
            forms.apply_service_errors(exc.errors)
    # Already checked in this evening: say so, since saving again adds entries (a second dose).
    zone = patient.patient_profile.zone
    evening = checkin_evening(timezone.now(), zone)
    context = {
        "forms": forms,
        "nav": "today",
        "done_at": checkin.evening_checked_in_at(patient=patient, evening=evening, zone=zone),
        "done_today": evening == timezone.localdate(),
    }
    return render(request, "journals/checkin_evening.html", context)


@require_page_or_form
@patient_required
def morning_diary(request: SignedInRequest) -> HttpResponse:
    """Last night's sleep diary; after saving, Today shows its total sleep and efficiency."""
    patient = request.user
    zone = patient.patient_profile.zone
    form = SleepDiaryForm(
        request.POST if request.method == "POST" else None,
        zone=zone,
        initial=checkin.sleep_initial(
            patient=patient,
            night_of=timezone.localdate() - timedelta(days=1),
            now=timezone.now(),
            zone=zone,
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry, _ = services.entry_create(
                patient=patient, model=SleepEntry, data=form.entry_data()
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(
                request,
                f"Sleep diary saved for the night of {day_in_words(entry.night_of)}: "
                f"total sleep {format_minutes(entry.total_sleep_min)}, "
                f"sleep efficiency {entry.sleep_efficiency_pct}%.",
            )
            return redirect("today")
    return render(request, "journals/checkin_morning.html", {"form": form, "nav": "today"})
