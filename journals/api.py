"""Journal endpoints: a patient's own entries (read and write), and a clinician's
read-only view of their patients' entries."""

from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ClinicianViewSet, PatientAPIView, PatientViewSet
from config.rest import Conflict
from journals import selectors, services
from journals.models import (
    JournalEntry,
    PainEntry,
    PegAssessment,
    ReminderSettings,
    SleepEntry,
    UseEntry,
)
from journals.serializers import (
    DateRangeSerializer,
    PainEntrySerializer,
    PegAssessmentSerializer,
    ReminderSettingsSerializer,
    SleepEntrySerializer,
    UseEntrySerializer,
)
from patients.audit import audit_reads
from patients.models import User
from patients.permissions import entries_visible_to, get_patient_for_user, own_entries

PATIENT_PK = OpenApiParameter(
    "patient_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The patient's id."
)
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
        return selectors.entries_in_local_dates(
            queryset,
            zone=self.journal_zone(),
            since=dates.validated_data.get("since"),
            until=dates.validated_data.get("until"),
        )


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
        return own_entries(
            self.user, self.model._default_manager.select_related("patient__patient_profile")
        )

    def journal_zone(self) -> ZoneInfo:
        return self.user.patient_profile.zone

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
        """The patient in the URL, if in scope (else 404); the read is audited once."""
        if not hasattr(self, "_journal_patient"):
            self._journal_patient = get_patient_for_user(self.user, self.kwargs["patient_pk"])
            audit_reads(
                request=self.request,
                actor=self.user,
                patients=[self._journal_patient],
                object_type=self.model._meta.model_name or "",
            )
        return self._journal_patient

    def scoped_queryset(self) -> QuerySet[Any]:
        patient = self.journal_patient()
        entries = entries_visible_to(self.user, self.model._default_manager.all())
        return entries.filter(patient=patient).select_related("patient__patient_profile")

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


@extend_schema(tags=["reminders"])
class ReminderSettingsView(PatientAPIView):
    """When the patient wants reminders: local times in their own zone (the settings page
    edits the same)."""

    serializer_class = ReminderSettingsSerializer
    queryset = ReminderSettings.objects.none()

    def scoped_queryset(self) -> QuerySet[ReminderSettings]:
        return ReminderSettings.objects.filter(patient=self.user)

    @extend_schema(summary="My reminder settings")
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(services.reminder_settings_get(patient=self.user)).data)

    @extend_schema(summary="Replace my reminder settings")
    def put(self, request: Request) -> Response:
        return self._update(request, partial=False)

    @extend_schema(summary="Change some of my reminder settings")
    def patch(self, request: Request) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        current = services.reminder_settings_get(patient=self.user)
        serializer = self.get_serializer(current, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        updated = services.reminder_settings_update(
            patient=self.user, data=dict(serializer.validated_data)
        )
        return Response(self.get_serializer(updated).data)
