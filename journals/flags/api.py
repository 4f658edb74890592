"""The care team's endpoints: flags, threshold overrides and reviews of their patients."""

from collections.abc import Sequence
from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ClinicianViewSet
from config.schema import VALIDATION_ERROR
from journals.api import PATIENT_PK, CarePatientMixin
from journals.flags import services
from journals.models import (
    Flag,
    FlagStatus,
    PatientThresholds,
    Review,
    Rule,
)
from journals.serializers import (
    FlagNoteSerializer,
    FlagSerializer,
    PatientThresholdsSerializer,
    ReviewSerializer,
    ThresholdOverridesSerializer,
)
from journals.thresholds import THRESHOLD_FIELDS, clinic_thresholds, effective_thresholds
from patients.audit import audit_reads
from patients.permissions import (
    IsClinician,
    flags_visible_to,
    reviews_visible_to,
)


class FlagFilter(django_filters.FilterSet):
    """``?status=&patient=&rule=``; a value outside the choices answers 400."""

    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    patient = django_filters.UUIDFilter(field_name="patient_id", help_text="The patient's id.")
    rule = django_filters.ChoiceFilter(choices=Rule.choices)

    class Meta:
        model = Flag
        fields = ("status", "patient", "rule")


@extend_schema(tags=["clinician"])
@extend_schema_view(
    list=extend_schema(
        summary="Safety flags of my patients, newest first",
        responses={200: FlagSerializer(many=True), 400: VALIDATION_ERROR},
    ),
    retrieve=extend_schema(summary="One safety flag, with its evidence"),
)
class FlagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ClinicianViewSet):
    """Safety flags of a clinician's patients (404 outside their scope); each read is audited."""

    serializer_class = FlagSerializer
    queryset = Flag.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = FlagFilter

    def scoped_queryset(self) -> QuerySet[Flag]:
        return flags_visible_to(self.user).select_related("patient").order_by("-created_at", "-id")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":  # a flag's own URL finds it whatever the query string
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request: Request) -> Response:
        flags = self.filter_queryset(self.get_queryset())
        page: Sequence[Flag] = self.paginate_queryset(flags) or []
        self._audit(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        flag = self.get_object()
        self._audit([flag])
        return Response(self.get_serializer(flag).data)

    @extend_schema(
        request=FlagNoteSerializer,
        responses=FlagSerializer,
        summary="Acknowledge an open flag, with an optional note",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        flag, note = self._flag_and_note(request)
        flag = services.flag_acknowledge(flag=flag, clinician=self.user, note=note)
        return Response(self.get_serializer(flag).data)

    @extend_schema(
        request=FlagNoteSerializer,
        responses=FlagSerializer,
        summary="Resolve an open or acknowledged flag, with an optional note",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        flag, note = self._flag_and_note(request)
        flag = services.flag_resolve(flag=flag, clinician=self.user, note=note)
        return Response(self.get_serializer(flag).data)

    def _flag_and_note(self, request: Request) -> tuple[Flag, str]:
        flag = self.get_object()
        body = FlagNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self._audit([flag])
        return flag, body.validated_data.get("note", "")

    def _audit(self, flags: Sequence[Flag]) -> None:
        """One event per patient shown, however many of their flags."""
        patients = {flag.patient_id: flag.patient for flag in flags}
        audit_reads(
            request=self.request, actor=self.user, patients=patients.values(), object_type="flag"
        )


@extend_schema(tags=["clinician"], parameters=[PATIENT_PK])
class PatientThresholdsView(CarePatientMixin, GenericAPIView):
    """The care team's threshold overrides for one patient's safety flags."""

    role_permission = IsClinician
    serializer_class = PatientThresholdsSerializer
    queryset = PatientThresholds.objects.none()
    audit_object_type = "thresholds"

    def scoped_queryset(self) -> QuerySet[PatientThresholds]:
        return PatientThresholds.objects.filter(patient=self.care_patient())

    @extend_schema(summary="A patient's thresholds: overrides, in effect, clinic defaults")
    def get(self, request: Request, patient_pk: str) -> Response:
        return Response(self._shown())

    @extend_schema(
        request=ThresholdOverridesSerializer,
        summary="Replace a patient's threshold overrides (null or left out: the clinic's)",
    )
    def put(self, request: Request, patient_pk: str) -> Response:
        patient = self.care_patient()
        body = ThresholdOverridesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.thresholds_update(
            patient=patient, clinician=self.user, data=dict(body.validated_data)
        )
        return Response(self._shown())

    def _shown(self) -> dict[str, Any]:
        patient = self.care_patient()
        overrides = self.get_queryset().first() or PatientThresholds(patient=patient)
        shown = {name: getattr(overrides, name) for name in THRESHOLD_FIELDS}
        clinic_level = clinic_thresholds(clinic_id=patient.patient_profile.clinic_id)
        shown["effective"] = effective_thresholds(patient=patient)
        shown["clinic_defaults"] = clinic_level
        data: dict[str, Any] = self.get_serializer(shown).data
        return data


@extend_schema(tags=["clinician"], parameters=[PATIENT_PK])
@extend_schema_view(
    list=extend_schema(summary="Reviews of a patient, newest first"),
    create=extend_schema(
        request=FlagNoteSerializer,
        responses={201: ReviewSerializer},
        summary="Mark the patient reviewed up to now, with an optional note",
    ),
)
class PatientReviewViewSet(
    CarePatientMixin, mixins.ListModelMixin, mixins.CreateModelMixin, ClinicianViewSet
):
    """Review notes on one patient, for the care team only."""

    serializer_class = ReviewSerializer
    queryset = Review.objects.none()
    audit_object_type = "review"

    def scoped_queryset(self) -> QuerySet[Review]:
        return (
            reviews_visible_to(self.user)
            .filter(patient=self.care_patient())
            .select_related("clinician")
            .order_by("-reviewed_at", "-id")
        )

    def create(self, request: Request, patient_pk: str) -> Response:
        patient = self.care_patient()
        body = FlagNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.review_create(
            patient=patient, clinician=self.user, note=body.validated_data.get("note", "")
        )
        return Response(self.get_serializer(review).data, status=status.HTTP_201_CREATED)
