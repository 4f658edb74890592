"""Trends: the patient's own charts and a plain-language summary."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from patients.permissions import SignedInRequest, patient_required


@require_safe
@patient_required
def trends(request: SignedInRequest) -> HttpResponse:
    return render(request, "journals/today.html", {"nav": "trends"})
