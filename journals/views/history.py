"""History: entries by day, newest first; edit and delete."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from journals import services
from journals.models import JournalEntry
from journals.selectors import ENTRY_KINDS
from patients.permissions import SignedInRequest, get_own_entry, patient_required


@require_safe
@patient_required
def history(request: SignedInRequest) -> HttpResponse:
    return render(request, "journals/today.html", {"nav": "history"})


def _own_entry(request: SignedInRequest, kind: str, entry_id: str) -> JournalEntry:
    if kind not in ENTRY_KINDS:
        raise Http404
    return get_own_entry(request.user, ENTRY_KINDS[kind], entry_id)


@patient_required
def entry_edit(request: SignedInRequest, kind: str, entry_id: str) -> HttpResponse:
    _own_entry(request, kind, entry_id)
    return render(request, "journals/today.html", {"nav": "history"})


@patient_required
def entry_delete(request: SignedInRequest, kind: str, entry_id: str) -> HttpResponse:
    """Ask first (GET), then delete (POST)."""
    entry = _own_entry(request, kind, entry_id)
    if request.method == "POST":
        services.entry_delete(entry=entry)
        messages.success(request, f"The {entry._meta.verbose_name} was deleted.")
        return redirect("history")
    return render(
        request,
        "journals/entry_delete.html",
        {"entry": entry, "entry_label": entry._meta.verbose_name, "nav": "history"},
    )
