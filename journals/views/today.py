"""Today and the two daily check-ins."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from patients.permissions import SignedInRequest, patient_required


@require_safe
@patient_required
def today(request: SignedInRequest) -> HttpResponse:
    return render(request, "journals/today.html", {"nav": "today"})


@patient_required
def evening_checkin(request: SignedInRequest) -> HttpResponse:
    return render(request, "journals/today.html", {"nav": "today"})


@patient_required
def morning_diary(request: SignedInRequest) -> HttpResponse:
    return render(request, "journals/today.html", {"nav": "today"})
