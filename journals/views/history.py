"""History: entries by day, newest first; edit and delete."""

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from journals import services
from journals.forms import FORM_BY_KIND
from journals.models import JournalEntry
from journals.selectors import ENTRY_KINDS, history_entries, history_index, moment_of
from journals.text import KIND_NAMES, describe, history_row
from patients.permissions import SignedInRequest, get_own_entry, own_entries, patient_required

PER_PAGE = 30
# The GET parameters that place someone in History; edit and delete send them back there.
HISTORY_PARAMS = ("kind", "from", "to", "page")


class HistoryFilterForm(forms.Form):
    """Which entries History shows. Every field is optional; a bad one is reported and
    left out, never a crash."""

    kind = forms.ChoiceField(
        choices=[("all", "All entries"), *((kind, KIND_NAMES[kind][0]) for kind in ENTRY_KINDS)],
        required=False,
        label="Show",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" and "to" are the parameter names; "from" cannot be a class attribute.
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.DateField(
                required=False,
                label=label,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": "Enter a date like 2026-04-01."},
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("from"), cleaned.get("to")
        if since and until and since > until:
            self.add_error("to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> tuple[list[str], date | None, date | None]:
        """The kinds and dates to show, leaving out any value that did not parse."""
        self.is_valid()
        data = self.cleaned_data
        kind = data.get("kind") or "all"
        kinds = list(ENTRY_KINDS) if kind == "all" else [kind]
        return kinds, data.get("from"), data.get("to")


@require_safe
@patient_required
def history(request: SignedInRequest) -> HttpResponse:
    zone = request.user.patient_profile.zone
    filter_form = HistoryFilterForm(request.GET)
    kinds, since, until = filter_form.filters()
    querysets = _own_querysets(request, kinds)
    index = history_index(querysets, zone=zone, since=since, until=until)
    page, page_note = _page(Paginator(index, PER_PAGE), request.GET.get("page"))
    keys = list(page.object_list)
    entries = history_entries(querysets, keys)
    rows = [
        history_row(key["kind"], entries[key["kind"], key["id"]], key["day"], key["moment"])
        for key in keys
        if (key["kind"], key["id"]) in entries  # deleted between the two reads
    ]
    today = timezone.localdate()
    filters = {k: v for k in ("kind", "from", "to") if (v := request.GET.get(k, "").strip())}
    return render(
        request,
        "journals/history.html",
        {
            "nav": "history",
            "filter_form": filter_form,
            "filtered": bool(filters),
            "filter_query": urlencode(filters),
            "back_query": urlencode({**filters, "page": page.number}),
            "page": page,
            "page_note": page_note,
            "rows": rows,
            "today": today,
            "yesterday": today - timedelta(days=1),
        },
    )


def _own_querysets(request: SignedInRequest, kinds: list[str]) -> dict[str, QuerySet[Any]]:
    return {
        kind: own_entries(request.user, ENTRY_KINDS[kind]._default_manager.all()) for kind in kinds
    }


def _page(paginator: "Paginator[Any]", raw: str | None) -> "tuple[Page[Any], str]":
    """The page asked for; a page that does not exist shows the nearest one and says so."""
    if raw is None or not raw.strip():
        return paginator.page(1), ""
    try:
        return paginator.page(raw), ""
    except PageNotAnInteger:
        return paginator.page(1), "That page number could not be read; this is the first page."
    except EmptyPage:
        if _is_below_one(raw):
            return paginator.page(1), "That page does not exist; this is the first page."
        last = paginator.num_pages
        return paginator.page(last), "That page does not exist; this is the last page."


def _is_below_one(raw: str) -> bool:
    try:
        return int(raw) < 1
    except ValueError:
        return False


def _own_entry(request: SignedInRequest, kind: str, entry_id: uuid.UUID) -> JournalEntry:
    if kind not in ENTRY_KINDS:
        raise Http404
    return get_own_entry(request.user, ENTRY_KINDS[kind], entry_id)


def _history_url(params: QueryDict) -> str:
    """Back to History where the patient was: only History's own parameters go along."""
    kept = {name: value for name in HISTORY_PARAMS if (value := params.get(name, "").strip())}
    url = reverse("history")
    return f"{url}?{urlencode(kept)}" if kept else url


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def entry_edit(request: SignedInRequest, kind: str, entry_id: uuid.UUID) -> HttpResponse:
    """The entry's form, prefilled in the patient's zone; saving goes through the service,
    so a rule broken shows its message next to the field and nothing is saved."""
    entry = _own_entry(request, kind, entry_id)
    # Described before the form runs: a refused update leaves typed values on ``entry``.
    saved = describe(entry)
    form_class = FORM_BY_KIND[kind]
    # An empty POST is still a POST: bound, so it answers with "required" messages.
    form = form_class(request.POST if request.method == "POST" else None, instance=entry)
    _as_choice_chips(form)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update(entry=entry, data=form.entry_data())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, f"Your {KIND_NAMES[kind][1]} was saved.")
            return redirect(_history_url(request.GET))
    return render(
        request,
        "journals/entry_edit.html",
        {
            "nav": "history",
            "form": form,
            "kind": kind,
            "entry_noun": KIND_NAMES[kind][1],
            "saved": saved,
            "zone_name": request.user.patient_profile.timezone,
            "back_url": _history_url(request.GET),
        },
    )


def _as_choice_chips(form: forms.BaseForm) -> None:
    """Radio buttons and checkboxes as a wrapping row of large targets; a scale's labelled
    choices already say what its help text would repeat."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            field.widget.attrs.setdefault("class", "choices")
            if isinstance(field.widget, forms.RadioSelect):
                field.help_text = ""


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def entry_delete(request: SignedInRequest, kind: str, entry_id: uuid.UUID) -> HttpResponse:
    """Ask first (GET), then delete (POST)."""
    entry = _own_entry(request, kind, entry_id)
    if request.method == "POST":
        services.entry_delete(entry=entry)
        messages.success(request, f"The {KIND_NAMES[kind][1]} was deleted.")
        return redirect(_history_url(request.GET))
    return render(
        request,
        "journals/entry_delete.html",
        {
            "entry": entry,
            "entry_label": KIND_NAMES[kind][1],
            "moment": moment_of(entry),
            "summary": describe(entry),
            "back_url": _history_url(request.GET),
            "nav": "history",
        },
    )
