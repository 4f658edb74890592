"""The base API views: every endpoint inherits one of them."""

from typing import Any

from django.db.models import QuerySet
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.viewsets import GenericViewSet

from patients.models import User
from patients.permissions import IsClinician, IsPatient


class ScopedAPIMixin:
    """Every API view inherits this: authentication, a role, then a scoped queryset.

    Role first: a caller of the wrong role gets 403 whatever the id. Then scope: the
    queryset comes only from ``scoped_queryset``, built on ``patients.permissions``, so
    an object outside it is 404. A view that must bypass scoping names it ``dangerously_…``.
    """

    role_permission: type[BasePermission]
    request: Any

    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated(), self.role_permission()]

    @property
    def user(self) -> User:
        user: User = self.request.user
        return user

    def scoped_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return self.queryset.none()  # type: ignore[attr-defined]
        return self.scoped_queryset()


class PatientViewSet(ScopedAPIMixin, GenericViewSet):
    role_permission = IsPatient


class ClinicianViewSet(ScopedAPIMixin, GenericViewSet):
    role_permission = IsClinician


class AnyRoleAPIView(ScopedAPIMixin, GenericAPIView):
    """For endpoints every signed-in person may call about themself (``/me``)."""

    role_permission = IsAuthenticated


class PatientAPIView(ScopedAPIMixin, GenericAPIView):
    """For a patient's own single resources (``/reminder-settings/``)."""

    role_permission = IsPatient
