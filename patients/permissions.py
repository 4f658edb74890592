"""Who may see what. The only module that knows roles, clinics, care teams and consent.

Each rule is a pair: a queryset of everything visible to a user, and a yes/no check for
one object built on it. Views reach patients and entries only through these, so whatever
lies outside a user's scope answers 404 and its existence does not leak.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from journals.models import Delivery, Flag, Review
from patients.models import AuditEvent, CareTeamMembership, Clinic, Role, User

if TYPE_CHECKING:
    from rest_framework.views import APIView

M = TypeVar("M", bound=Model)
ViewFunc = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """The request a ``patient_required`` or ``clinician_required`` view receives."""

    user: User


def active_memberships() -> QuerySet[CareTeamMembership]:
    """Memberships that give a clinician sight of a patient right now."""
    return CareTeamMembership.objects.filter(
        ended_at__isnull=True,
        consent_revoked_at__isnull=True,
        clinician__is_active=True,
        patient__is_active=True,
        clinician__clinician_profile__clinic=F("patient__patient_profile__clinic"),
    )


def patients_visible_to(user: User) -> QuerySet[User]:
    """Patients a user may read: a patient sees only themself; a clinician, the patients on
    whose care team they are, in their clinic, while the patient's consent stands."""
    patients = User.objects.filter(role=Role.PATIENT, is_active=True)
    if not user.is_authenticated or not user.is_active:
        return patients.none()
    if user.role == Role.PATIENT:
        return patients.filter(pk=user.pk)
    if user.role == Role.CLINICIAN:
        return patients.filter(
            pk__in=active_memberships().filter(clinician=user).values("patient_id")
        )
    return patients.none()


def get_patient_for_user(user: User, pk: str) -> User:
    """The patient with this id if the user may see them, else 404 (never 403)."""
    try:
        return patients_visible_to(user).select_related("patient_profile__clinic").get(pk=pk)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def entries_visible_to(user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    """Journal entries a user may read, from any journal model's queryset."""
    return queryset.filter(patient__in=patients_visible_to(user))


def own_entries(user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    """Entries a patient may change: their own, and nobody else's."""
    if user.role != Role.PATIENT:
        return queryset.none()
    return queryset.filter(patient=user)


def get_own_entry(user: User, model: type[M], pk: object) -> M:
    """One of the patient's own entries, else 404 (someone else's entry does not exist)."""
    entry = own_entries(user, model._default_manager.all()).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def flags_visible_to(user: User) -> QuerySet[Flag]:
    """Safety flags a user may read: those of the patients they may see."""
    return Flag.objects.filter(patient__in=patients_visible_to(user))


def reviews_visible_to(user: User) -> QuerySet[Review]:
    """Review notes a user may read: a clinician's, on the patients of their care teams.
    A patient sees none (the notes are for the care team)."""
    if not user.is_authenticated or user.role != Role.CLINICIAN:
        return Review.objects.none()
    return Review.objects.filter(patient__in=patients_visible_to(user))


def memberships_of_patient(patient: User) -> QuerySet[CareTeamMembership]:
    """A patient's own care team, including revoked consent, so they can restore it."""
    return CareTeamMembership.objects.filter(patient=patient, ended_at__isnull=True)


def access_log_of_patient(user: User) -> QuerySet[AuditEvent]:
    """The access log ("who accessed my record"): the events about a patient's own record,
    done by them, by clinicians or by Mitra itself; never by another patient. Nobody else
    reads it here (clinic staff use ``audit_events_for_staff``)."""
    if not user.is_authenticated or user.role != Role.PATIENT:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(patient=user).filter(
        Q(actor=user) | Q(actor__role=Role.CLINICIAN) | Q(actor__isnull=True)
    )


def audit_events_for_staff(user: User) -> QuerySet[AuditEvent]:
    """The audit log in the admin: the events about the staff member's clinic's patients or
    done by its people (see ``_for_staff``)."""
    return _for_staff(
        user,
        AuditEvent.objects.all(),
        lambda clinic: (
            Q(patient__patient_profile__clinic=clinic)
            | Q(actor__clinician_profile__clinic=clinic)
            | Q(actor__patient_profile__clinic=clinic)
        ),
    )


def deliveries_for_staff(user: User) -> QuerySet[Delivery]:
    """Reminder deliveries in the admin: those to the staff member's clinic's people."""
    return _for_staff(
        user,
        Delivery.objects.all(),
        lambda clinic: (
            Q(recipient__patient_profile__clinic=clinic)
            | Q(recipient__clinician_profile__clinic=clinic)
        ),
    )


def _for_staff(user: User, rows: QuerySet[M], of_clinic: Callable[[Clinic], Q]) -> QuerySet[M]:
    """What the admin shows: everything to a superuser, the rows of their own clinic to
    clinic staff, nothing to anyone else."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return rows.none()
    if user.is_superuser:
        return rows
    clinic = user.clinic
    return rows.filter(of_clinic(clinic)) if clinic is not None else rows.none()


def home_url_for(user: User) -> str:
    """Where a signed-in person belongs: a patient's Today, a clinician's patient list."""
    return reverse("today") if user.role == Role.PATIENT else reverse("clinician-home")


NOT_SAVED_SIGNED_OUT = (
    "You were signed out, so what you sent was not saved. Sign in, then enter it again."
)


def _role_required(role: str) -> Callable[[ViewFunc], ViewFunc]:
    """A page for one role: anonymous people sign in first; anyone else goes to their own
    side (a clinician who opens a patient URL gets the clinician side, never a patient's).
    A form sent after the session ended (idle, or signed out elsewhere) is not kept: the
    sign-in page says so, rather than showing the form again empty without a word."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                if request.method == "POST":
                    messages.warning(request, NOT_SAVED_SIGNED_OUT)
                return redirect_to_login(request.get_full_path())
            if request.user.role != role:
                return redirect(home_url_for(request.user))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


patient_required = _role_required(Role.PATIENT)
clinician_required = _role_required(Role.CLINICIAN)


class IsPatient(BasePermission):
    message = "This endpoint is for patients."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        return bool(request.user.is_authenticated and request.user.role == Role.PATIENT)


class IsClinician(BasePermission):
    message = "This endpoint is for clinicians."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        return bool(request.user.is_authenticated and request.user.role == Role.CLINICIAN)
