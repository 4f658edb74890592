"""Pages to download the journal as CSV (patient and clinician) and to import a CSV diary.

The downloads stream the same file as the API (``journals.exports.csv_response``).
"""

import uuid
from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from journals.interop import csv_io as exports
from journals.text import KIND_NAMES
from patients.audit import audit_patient_export
from patients.permissions import (
    SignedInRequest,
    clinician_required,
    get_patient_for_user,
    patient_required,
)


def _streamed(response: StreamingHttpResponse) -> HttpResponse:
    """The role decorators are typed for ``HttpResponse``; Django serves either."""
    return cast(HttpResponse, response)


def _kind(kind: str) -> str:
    if kind not in exports.CSV_KINDS:
        raise Http404
    return kind


@require_safe
@patient_required
def history_export(request: SignedInRequest, kind: str) -> HttpResponse:
    """The patient's own entries of one kind as CSV."""
    return _streamed(exports.csv_response(patient=request.user, kind=_kind(kind)))


@require_safe
@clinician_required
def clinician_patient_export(
    request: SignedInRequest, patient_id: uuid.UUID, kind: str
) -> HttpResponse:
    """A patient's entries of one kind as CSV, for a clinician of their care team (else 404)."""
    kind = _kind(kind)
    patient = get_patient_for_user(request.user, str(patient_id))
    audit_patient_export(
        request=request, actor=request.user, patient=patient, object_type="export_csv"
    )
    return _streamed(exports.csv_response(patient=patient, kind=kind))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[(kind, KIND_NAMES[kind][0]) for kind in exports.CSV_KINDS],
    )
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV in the format of the download, at most "
        f"{exports.IMPORT_MAX_BYTES // 1024} KB and {exports.IMPORT_MAX_ROWS} rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def history_import(request: SignedInRequest) -> HttpResponse:
    """Upload a CSV diary; all rows are saved, or none and every problem is listed."""
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    row_errors: list[exports.RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = exports.read_upload(upload.read(exports.IMPORT_MAX_BYTES + 1))
            result = exports.csv_import(
                patient=request.user, kind=form.cleaned_data["kind"], text=text
            )
        except exports.ImportInvalid as exc:
            for message in exc.file_errors:
                form.add_error("file", message)
            row_errors = exc.row_errors
        else:
            messages.success(
                request,
                f"Imported {result.created} entr{'y' if result.created == 1 else 'ies'}; "
                f"{result.unchanged} {'was' if result.unchanged == 1 else 'were'} "
                "already in your journal.",
            )
            return redirect("history")
    return render(
        request,
        "journals/import.html",
        {
            "nav": "history",
            "form": form,
            "row_errors": row_errors,
            "formats": [(KIND_NAMES[kind][0], exports.columns(kind)) for kind in exports.CSV_KINDS],
        },
    )
