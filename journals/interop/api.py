"""Exports and imports of the journal: a FHIR R4 bundle, CSV per kind, and a CSV import.

Scoping as everywhere: a patient reaches their own journal under ``/me/``; a clinician
reaches a patient in their scope (else 404) under ``/patients/{id}/``, and that read is
audited once per request. Import is the patient's alone: entries are theirs to write.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import PatientAPIView
from config.schema import ERROR, VALIDATION_ERROR
from journals.api import DATE_RANGE_PARAMETERS, PATIENT_PK, CarePatientMixin
from journals.interop import csv_io as exports
from journals.interop.fhir import FHIR_JSON, journal_bundle
from journals.serializers import DateRangeSerializer
from patients.audit import audit_patient_export
from patients.models import User
from patients.permissions import IsClinician, get_patient_for_user, patients_visible_to

KIND = OpenApiParameter(
    "kind",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(exports.CSV_KINDS),
    description="Which entries: pain, peg (weekly PEG-3), sleep (diary) or use.",
)
BUNDLE = {
    "type": "object",
    "description": "A FHIR R4 Bundle of type collection: the Patient and one Observation "
    "per measured item (codes in journals/interop/fhir.py).",
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "type": {"type": "string", "enum": ["collection"]},
        "entry": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["resourceType", "type", "entry"],
}
CSV_FILE = OpenApiResponse(
    OpenApiTypes.STR,
    description="CSV, UTF-8: the API's field names as the header, times in ISO 8601 with "
    "the patient's UTC offset, oldest first. Cells that start like a formula get a "
    "leading `'`.",
)
IMPORT_REQUEST = {
    "multipart/form-data": {
        "type": "object",
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "description": f"A CSV in the export format, UTF-8, at most "
                f"{exports.IMPORT_MAX_BYTES // 1024} KB and {exports.IMPORT_MAX_ROWS} rows.",
            }
        },
        "required": ["file"],
    }
}
IMPORT_COUNTS = {
    "type": "object",
    "properties": {
        "created": {"type": "integer", "description": "Entries added."},
        "unchanged": {
            "type": "integer",
            "description": "Rows already in the journal (same id), left as they are.",
        },
    },
    "required": ["created", "unchanged"],
}
IMPORT_ERRORS = OpenApiResponse(
    {
        "type": "object",
        "description": "Nothing was saved. `file`: the upload itself is wrong; `rows`: "
        "every problem by row (the header is row 1) and column (null: the whole row); "
        "`detail`: the request did not parse.",
        "properties": {
            "file": {"type": "array", "items": {"type": "string"}},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "row": {"type": "integer"},
                        "column": {"type": "string", "nullable": True},
                        "errors": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["row", "column", "errors"],
                },
            },
            "detail": {"type": "string"},
        },
    },
    description="Invalid file or rows. Nothing was stored.",
)


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FirstRendererNegotiation(BaseContentNegotiation):
    """A download answers in its own type whatever ``Accept`` says; errors in JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


def _dates(request: Request) -> tuple[date | None, date | None]:
    """``?since=&until=``, local dates; a bad one answers 400 with field errors."""
    dates = DateRangeSerializer(data={k: v for k, v in request.query_params.items() if v})
    dates.is_valid(raise_exception=True)
    return dates.validated_data.get("since"), dates.validated_data.get("until")


def _kind(kind: str) -> str:
    if kind not in exports.CSV_KINDS:
        raise NotFound
    return kind


class _OwnJournalMixin:
    """The patient's own journal: the scope is themself."""

    user: User

    def scoped_queryset(self) -> QuerySet[User]:
        return patients_visible_to(self.user)


class _CareJournalMixin(CarePatientMixin):
    """A patient in the clinician's scope (else 404); audited as one export event."""

    role_permission = IsClinician

    def care_patient(self) -> User:
        if not hasattr(self, "_care_patient"):
            patient = get_patient_for_user(self.user, self.kwargs["patient_pk"])
            audit_patient_export(
                request=self.request,
                actor=self.user,
                patient=patient,
                object_type=self.audit_object_type,
            )
            self._care_patient = patient
        return self._care_patient

    def scoped_queryset(self) -> QuerySet[User]:
        return patients_visible_to(self.user).filter(pk=self.care_patient().pk)


FHIR_RESPONSES = {
    (200, FHIR_JSON): OpenApiResponse(BUNDLE, description="The bundle."),
    (200, "application/json"): OpenApiResponse(
        BUNDLE, description="The bundle, for a client that asks for plain JSON."
    ),
    400: VALIDATION_ERROR,
    404: OpenApiResponse(ERROR.response, description="Not in your scope, or an unknown `format`."),
}


@extend_schema(tags=["exports"])
class MeFhirView(_OwnJournalMixin, PatientAPIView):
    """My journal as a FHIR R4 bundle."""

    queryset = User.objects.none()

    renderer_classes = [FhirJSONRenderer, JSONRenderer]

    @extend_schema(
        summary="My journal as a FHIR R4 Bundle",
        operation_id="me_fhir",
        parameters=DATE_RANGE_PARAMETERS,
        responses=FHIR_RESPONSES,
    )
    def get(self, request: Request) -> Response:
        since, until = _dates(request)
        return Response(journal_bundle(patient=self.user, since=since, until=until))


@extend_schema(tags=["clinician"], parameters=[PATIENT_PK])
class PatientFhirView(_CareJournalMixin, GenericAPIView):
    """A patient's journal as a FHIR R4 bundle."""

    queryset = User.objects.none()

    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    audit_object_type = "export_fhir"

    @extend_schema(
        summary="A patient's journal as a FHIR R4 Bundle",
        operation_id="patient_fhir",
        parameters=DATE_RANGE_PARAMETERS,
        responses=FHIR_RESPONSES,
    )
    def get(self, request: Request, patient_pk: str) -> Response:
        patient = self.care_patient()
        since, until = _dates(request)
        return Response(journal_bundle(patient=patient, since=since, until=until))


def _csv_export_schema(summary: str, operation_id: str) -> Any:
    return extend_schema(
        summary=summary,
        operation_id=operation_id,
        parameters=[KIND, *DATE_RANGE_PARAMETERS],
        responses={(200, "text/csv"): CSV_FILE, 400: VALIDATION_ERROR},
    )


@extend_schema(tags=["exports"])
class MeCsvExportView(_OwnJournalMixin, PatientAPIView):
    """One kind of my entries as CSV, streamed."""

    queryset = User.objects.none()

    content_negotiation_class = FirstRendererNegotiation

    @_csv_export_schema("One kind of my entries as CSV", "me_export_csv")
    def get(self, request: Request, kind: str) -> HttpResponseBase:
        kind = _kind(kind)
        since, until = _dates(request)
        return exports.csv_response(patient=self.user, kind=kind, since=since, until=until)


@extend_schema(tags=["clinician"], parameters=[PATIENT_PK])
class PatientCsvExportView(_CareJournalMixin, GenericAPIView):
    """One kind of a patient's entries as CSV, streamed."""

    queryset = User.objects.none()

    content_negotiation_class = FirstRendererNegotiation
    audit_object_type = "export_csv"

    @_csv_export_schema("One kind of a patient's entries as CSV", "patient_export_csv")
    def get(self, request: Request, patient_pk: str, kind: str) -> HttpResponseBase:
        kind = _kind(kind)
        patient = self.care_patient()
        since, until = _dates(request)
        return exports.csv_response(patient=patient, kind=kind, since=since, until=until)


@extend_schema(tags=["exports"])
class MeCsvImportView(_OwnJournalMixin, PatientAPIView):
    """Import a CSV of one kind into my journal: all rows or none."""

    queryset = User.objects.none()

    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Import a CSV of one kind into my journal (all or nothing)",
        operation_id="me_import_csv",
        parameters=[KIND],
        request=IMPORT_REQUEST,
        responses={
            201: OpenApiResponse(IMPORT_COUNTS, description="Imported."),
            400: IMPORT_ERRORS,
            413: ERROR,
        },
    )
    def post(self, request: Request, kind: str) -> Response:
        kind = _kind(kind)
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise exports.ImportInvalid(file_errors=["Upload the CSV file as `file`."])
            text = exports.read_upload(upload.read(exports.IMPORT_MAX_BYTES + 1))
            result = exports.csv_import(patient=self.user, kind=kind, text=text)
        except exports.ImportInvalid as exc:
            return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": result.created, "unchanged": result.unchanged},
            status=status.HTTP_201_CREATED,
        )
