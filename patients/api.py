"""Endpoints about people: tokens, /me, a clinician's patients, care team and invitations."""

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import AnyRoleAPIView, ClinicianViewSet, PatientViewSet
from config.schema import VALIDATION_ERROR
from journals.flags import triage
from patients import services
from patients.audit import audit_reads
from patients.auth import signin_failed, token_create
from patients.mfa import has_second_factor, needs_second_factor
from patients.models import AuditEvent, CareTeamMembership, Invitation, User
from patients.permissions import (
    access_log_of_patient,
    memberships_of_patient,
    patients_visible_to,
)
from patients.serializers import (
    AccessLogEventSerializer,
    CareTeamMembershipSerializer,
    InvitationSerializer,
    MeSerializer,
    MeUpdateSerializer,
    PatientSerializer,
    PatientTriageSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)

SIGN_IN_FAILED = "Unable to sign in with the email and password given."
OTP_NEEDED = "Enter the code from your authenticator app (or a backup code)."
OTP_NOT_SET_UP = "Set up two-step sign-in first: sign in on the website with your password."


SEARCH_IN_BODY = (
    "Search with POST /api/v1/patients/search/ and the term in the body: names and emails "
    "stay out of URLs, which browsers, proxies and their logs keep."
)


class TriageQuerySerializer(serializers.Serializer):
    """The query parameters of the patient list; a bad value answers 400."""

    flagged = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(choices=triage.ORDERINGS, default=triage.DEFAULT_ORDERING)


class TriageSearchSerializer(TriageQuerySerializer):
    """The body of a search of the patient list: the same filters, and the term."""

    search = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="Part of the name or email.",
    )


class TokenView(APIView):
    """Exchange email, password and (when the account has two-step sign-in) the code for an
    API token; DELETE revokes the token in use.

    A wrong email, a wrong password and a locked account give the same answer. Only after
    the right password does the answer speak of ``otp``: missing, wrong, or not set up yet.
    A wrong code counts as a failed sign-in for the lockout.
    """

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [AllowAny()]
        return list(super().get_permissions())

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: VALIDATION_ERROR},
        tags=["auth"],
        summary="Sign in and get a token",
    )
    def post(self, request: Request) -> Response:
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=credentials.validated_data["email"],
            password=credentials.validated_data["password"],
        )
        if user is None:
            raise serializers.ValidationError({"non_field_errors": [SIGN_IN_FAILED]})
        if needs_second_factor(user):
            code = credentials.validated_data.get("otp", "")
            if not has_second_factor(user):
                raise serializers.ValidationError({"otp": [OTP_NOT_SET_UP]})
            if not code:
                raise serializers.ValidationError({"otp": [OTP_NEEDED]})
            if services.mfa_code_verify(user=user, code=code) is None:
                signin_failed(request, user.email)
                raise serializers.ValidationError({"otp": [services.WRONG_CODE]})
        instance, token = token_create(user)
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response({"token": token, "expiry": instance.expiry})

    @extend_schema(
        responses={204: None},
        tags=["auth"],
        summary="Sign out: revoke this token and end my other sessions and tokens",
    )
    def delete(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        services.user_sessions_end(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereView(APIView):
    """End every session and API token of the signed-in person, this one too."""

    @extend_schema(
        request=None, responses={204: None}, tags=["auth"], summary="Sign out everywhere"
    )
    def post(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        services.user_sessions_end(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(AnyRoleAPIView):
    """Who is signed in. A user's id here is the id every other endpoint uses for them."""

    serializer_class = MeSerializer
    queryset = User.objects.none()

    def scoped_queryset(self) -> QuerySet[User]:
        return User.objects.filter(pk=self.user.pk)

    def current(self) -> User:
        return (
            self.get_queryset()
            .select_related("patient_profile__clinic", "clinician_profile__clinic")
            .get()
        )

    @extend_schema(tags=["me"], summary="Who am I")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(self.current()).data)

    @extend_schema(
        tags=["me"], request=MeUpdateSerializer, responses=MeSerializer, summary="Update me"
    )
    def patch(self, request: Request) -> Response:
        changes = MeUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        user = services.profile_update(
            user=self.current(),
            display_name=changes.validated_data.get("display_name"),
            timezone_name=changes.validated_data.get("timezone"),
            digest_enabled=changes.validated_data.get("digest_enabled"),
        )
        return Response(MeSerializer(user).data)


@extend_schema(tags=["clinician"])
class PatientsViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ClinicianViewSet):
    """A clinician's patients: on their care team, in their clinic, while consent stands."""

    serializer_class = PatientSerializer
    queryset = User.objects.none()

    def scoped_queryset(self) -> QuerySet[User]:
        return (
            patients_visible_to(self.user)
            .select_related("patient_profile__clinic")
            .order_by("display_name", "email")
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in ("list", "search"):
            return PatientTriageSerializer
        return PatientSerializer

    @extend_schema(
        summary="My patients, with their triage figures",
        responses={200: PatientTriageSerializer(many=True), 400: VALIDATION_ERROR},
        parameters=[
            OpenApiParameter(
                "flagged",
                bool,
                description="true: only patients with an open flag; false: only those without.",
            ),
            OpenApiParameter(
                "ordering",
                str,
                enum=list(triage.ORDERINGS),
                default=triage.DEFAULT_ORDERING,
                description="urgency (default): highest open severity, then number of open "
                "flags, unreviewed entries, latest entry. A leading '-' sorts descending; a "
                "missing figure sorts last. Any other value answers 400.",
            ),
        ],
        description="To find patients by name or email, POST /api/v1/patients/search/ "
        "(a `search` parameter here answers 400).",
    )
    def list(self, request: Request) -> Response:
        if "search" in request.query_params:
            raise serializers.ValidationError({"search": [SEARCH_IN_BODY]})
        return self._triage_page(request, TriageQuerySerializer(data=request.query_params))

    @extend_schema(
        summary="Search my patients by name or email",
        description="The patient list's filters and the term in the body, so that no name or "
        "email is ever in a URL. Paged like the list: POST the same body to `next`.",
        request=TriageSearchSerializer,
        responses={200: PatientTriageSerializer(many=True), 400: VALIDATION_ERROR},
    )
    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        return self._triage_page(request, TriageSearchSerializer(data=request.data))

    def _triage_page(self, request: Request, params: TriageQuerySerializer) -> Response:
        """One page of the triage list, its reads audited."""
        params.is_valid(raise_exception=True)
        summaries = triage.triage_list(
            clinician=self.user,
            search=params.validated_data.get("search", ""),
            flagged=params.validated_data.get("flagged"),
            ordering=params.validated_data["ordering"],
        )
        page = [triage.row_of(summary) for summary in self.paginate_queryset(summaries) or []]
        audit_reads(
            request=request,
            actor=self.user,
            patients=[row.patient for row in page],
            object_type="patient",
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        patient = self.get_object()
        audit_reads(request=request, actor=self.user, patients=[patient], object_type="patient")
        return Response(self.get_serializer(patient).data)


@extend_schema(tags=["care team"])
class CareTeamViewSet(mixins.ListModelMixin, PatientViewSet):
    """A patient's care team and their consent to each member; changes apply at once."""

    serializer_class = CareTeamMembershipSerializer
    queryset = CareTeamMembership.objects.none()
    pagination_class = None

    def scoped_queryset(self) -> QuerySet[CareTeamMembership]:
        return (
            memberships_of_patient(self.user)
            .select_related("clinician__clinician_profile")
            .order_by("created_at")
        )

    @extend_schema(request=None, summary="Revoke consent for this clinician")
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        membership = services.care_team_revoke(membership=self.get_object())
        return Response(self.get_serializer(membership).data)

    @extend_schema(request=None, summary="Restore consent for this clinician")
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        membership = services.care_team_restore(membership=self.get_object())
        return Response(self.get_serializer(membership).data)


@extend_schema(tags=["clinician"])
class InvitationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ClinicianViewSet):
    """A clinician invites a patient by email to Mitra and to their care team."""

    serializer_class = InvitationSerializer
    queryset = Invitation.objects.none()

    def scoped_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.filter(clinician=self.user).order_by("-created_at")

    @extend_schema(
        request=inline_serializer("InvitationRequest", {"email": serializers.EmailField()}),
        responses={201: InvitationSerializer},
        summary="Invite a patient by email",
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            clinician=self.user, email=serializer.validated_data["email"]
        )
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["me"])
@extend_schema_view(list=extend_schema(summary="Who accessed my record, newest first"))
class AccessLogViewSet(mixins.ListModelMixin, PatientViewSet):
    """Who accessed my record: every read and change of the patient's own record, newest
    first, with who did it (a clinician's name, title and clinic; "you"; or Mitra)."""

    serializer_class = AccessLogEventSerializer
    queryset = AuditEvent.objects.none()

    def scoped_queryset(self) -> QuerySet[AuditEvent]:
        return (
            access_log_of_patient(self.user)
            .select_related("actor__clinician_profile__clinic")
            .order_by("-at", "-id")
        )
