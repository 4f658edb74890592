"""The admin's site, and what every read-only page of it shares."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse


class AdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The admin's own form would take a password alone (the session it made was then
        signed out by patients.auth.SecondFactorMiddleware); staff sign in through the
        portal's two steps instead, and come back. Someone signed in whom the admin is not
        for gets a 404: the sign-in page would send them straight back here, in a loop."""
        if request.user.is_authenticated and not self.has_permission(request):
            raise Http404
        return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for oversight, never added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
