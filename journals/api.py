"""Journal endpoints: a patient's own entries (read and write), and a clinician's
read-only view of their patients' entries."""

import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from knox.models import AuthToken
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ClinicianViewSet, PatientViewSet, ScopedAPIMixin
from config.rest import Conflict
from journals import selectors, services
from journals.models import (
    JournalEntry,
    PainEntry,
    PegAssessment,
    SleepEntry,
    UseEntry,
)
from journals.serializers import (
    DateRangeSerializer,
    PainEntrySerializer,
    PegAssessmentSerializer,
    SleepEntrySerializer,
    UseEntrySerializer,
)
from patients.audit import audit_reads
from patients.models import User
from patients.permissions import (
    entries_visible_to,
    get_patient_for_user,
    own_entries,
)

PATIENT_PK = OpenApiParameter(
    "patient_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The patient's id."
)
# How long a patient's rendered list page is kept: a bound on how long health data sits in the
# cache (a shared Redis in a cluster: docs/DEPLOY.md), not on its freshness, which the
# journal's version in the key guarantees.
OWN_LIST_CACHE_SECONDS = 300

DATE_RANGE_PARAMETERS = [
    OpenApiParameter(
        "since", OpenApiTypes.DATE, description="First local date, inclusive (YYYY-MM-DD)."
    ),
    OpenApiParameter(
        "until", OpenApiTypes.DATE, description="Last local date, inclusive (YYYY-MM-DD)."
    ),
]


class DateRangeListMixin:
    """Lists newest first, filtered on the patient's local dates."""

    def journal_zone(self) -> ZoneInfo:
        raise NotImplementedError

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if getattr(self, "action", None) != "list":
            return queryset
        params = self.request.query_params  # type: ignore[attr-defined]
        dates = DateRangeSerializer(data={k: v for k, v in params.items() if v})
        dates.is_valid(raise_exception=True)
        if not dates.validated_data:
            return queryset  # no dates: the patient's zone (a query) is not needed
        return selectors.entries_in_local_dates(
            queryset,
            zone=self.journal_zone(),
            since=dates.validated_data.get("since"),
            until=dates.validated_data.get("until"),
        )


def _entries(model: type[JournalEntry], action: str | None) -> QuerySet[Any]:
    """A list shows the entries alone; one entry is read with its patient's profile, which
    an update's validation and its audit need (the patient's zone)."""
    if action == "list":
        return model._default_manager.all()
    return model._default_manager.select_related("patient__patient_profile")


class OwnEntryViewSet(
    DateRangeListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    PatientViewSet,
):
    """A patient's own entries. A client may choose the id: repeating a create with the
    same id answers 200 with the stored entry; an id taken by someone else answers 409."""

    model: type[JournalEntry]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self) -> QuerySet[Any]:
        return own_entries(self.user, _entries(self.model, self.action))

    def journal_zone(self) -> ZoneInfo:
        return self.user.patient_profile.zone

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A page a patient reads again unchanged is answered from the cache (mobile apps
        poll their lists): kept under their journal's version, which every save or delete
        of one of their entries raises in its own transaction (``journals.triage``), so a
        change shows at once and no one else's page can ever match the key."""
        key = self._list_cache_key(request)
        if key is not None and (data := cache.get(key)) is not None:
            return Response(data)
        response = super().list(request, *args, **kwargs)
        if key is not None:
            cache.set(key, response.data, OWN_LIST_CACHE_SECONDS)
        return response

    def _list_cache_key(self, request: Request) -> str | None:
        """None unless the version was read with this request's token: then it is as fresh
        as the request (a session's or a test's person may carry an older one)."""
        if not isinstance(request.auth, AuthToken):
            return None
        profile = self.user.patient_profile
        parts = (
            self.model._meta.label,
            str(self.user.pk),
            str(profile.journal_version),
            profile.timezone,
            timezone.get_current_timezone_name(),
            request.build_absolute_uri(),  # the page's links are absolute
        )
        return "own-list:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        entry_id = data.pop("id", None)
        try:
            entry, created = services.entry_create(
                patient=self.user, model=self.model, data=data, entry_id=entry_id
            )
        except services.EntryIdTaken as exc:
            raise Conflict({"id": ["This id is already in use."]}) from exc
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(entry).data, status=code)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        serializer = self.get_serializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("id", None)
        entry = services.entry_update(entry=entry, data=data)
        return Response(self.get_serializer(entry).data)

    def perform_destroy(self, instance: JournalEntry) -> None:
        services.entry_delete(entry=instance)


class PatientEntryViewSet(
    DateRangeListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ClinicianViewSet
):
    """A clinician's read-only view of one patient's entries (404 outside their scope)."""

    model: type[JournalEntry]

    def journal_patient(self) -> User:
        """The patient in the URL, if in scope (else 404)."""
        if not hasattr(self, "_journal_patient"):
            self._journal_patient = get_patient_for_user(self.user, self.kwargs["patient_pk"])
        return self._journal_patient

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        """The read is audited once, and only when entries were shown: not for an entry id
        outside the patient's journal (404) nor for a bad filter (400)."""
        if hasattr(self, "_journal_patient") and response.status_code < 400:
            audit_reads(
                request=self.request,
                actor=self.user,
                patients=[self._journal_patient],
                object_type=self.model._meta.model_name or "",
            )
        return super().finalize_response(request, response, *args, **kwargs)

    def scoped_queryset(self) -> QuerySet[Any]:
        patient = self.journal_patient()
        entries = entries_visible_to(self.user, _entries(self.model, self.action))
        return entries.filter(patient=patient)

    def journal_zone(self) -> ZoneInfo:
        return self.journal_patient().patient_profile.zone


def entry_viewsets(
    model: type[JournalEntry],
    serializer: type[serializers.ModelSerializer],
    tag: str,
) -> tuple[type[OwnEntryViewSet], type[PatientEntryViewSet]]:
    """The patient's and the clinician's viewset for one kind of entry, with their schema."""
    plural = model._meta.verbose_name_plural
    attrs = {
        "model": model,
        "serializer_class": serializer,
        "queryset": model._default_manager.none(),
    }
    own = type(f"Own{model.__name__}ViewSet", (OwnEntryViewSet,), attrs)
    own = extend_schema_view(
        list=extend_schema(parameters=DATE_RANGE_PARAMETERS, summary=f"List my {plural}"),
        create=extend_schema(
            summary=f"Record one of my {plural}",
            responses={
                201: serializer,
                200: OpenApiResponse(serializer, description="A repeat of a create (same id)."),
                409: OpenApiResponse(description="The id is in use by another entry."),
            },
        ),
        retrieve=extend_schema(summary=f"One of my {plural}"),
        partial_update=extend_schema(summary=f"Change one of my {plural}"),
        destroy=extend_schema(summary=f"Delete one of my {plural}"),
    )(extend_schema(tags=[tag])(own))
    clinician = type(f"Patient{model.__name__}ViewSet", (PatientEntryViewSet,), attrs)
    clinician = extend_schema_view(
        list=extend_schema(parameters=DATE_RANGE_PARAMETERS, summary=f"A patient's {plural}"),
        retrieve=extend_schema(summary=f"One of a patient's {plural}"),
    )(extend_schema(tags=["clinician"], parameters=[PATIENT_PK])(clinician))
    return own, clinician


OwnPainEntryViewSet, PatientPainEntryViewSet = entry_viewsets(
    PainEntry, PainEntrySerializer, "pain"
)
OwnPegAssessmentViewSet, PatientPegAssessmentViewSet = entry_viewsets(
    PegAssessment, PegAssessmentSerializer, "pain"
)
OwnSleepEntryViewSet, PatientSleepEntryViewSet = entry_viewsets(
    SleepEntry, SleepEntrySerializer, "sleep"
)
OwnUseEntryViewSet, PatientUseEntryViewSet = entry_viewsets(UseEntry, UseEntrySerializer, "use")

# url prefix -> (patient's viewset, clinician's viewset)
ENTRY_ROUTES = {
    "pain-entries": (OwnPainEntryViewSet, PatientPainEntryViewSet),
    "peg-assessments": (OwnPegAssessmentViewSet, PatientPegAssessmentViewSet),
    "sleep-entries": (OwnSleepEntryViewSet, PatientSleepEntryViewSet),
    "use-entries": (OwnUseEntryViewSet, PatientUseEntryViewSet),
}


class CarePatientMixin(ScopedAPIMixin):
    """A clinician's endpoint about the patient in the URL: 404 outside their scope, and
    the read audited once per request."""

    kwargs: dict[str, Any]
    audit_object_type: str

    def care_patient(self) -> User:
        if not hasattr(self, "_care_patient"):
            self._care_patient = get_patient_for_user(self.user, self.kwargs["patient_pk"])
            audit_reads(
                request=self.request,
                actor=self.user,
                patients=[self._care_patient],
                object_type=self.audit_object_type,
            )
        return self._care_patient
