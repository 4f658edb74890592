from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from patients.models import Role


class PatientTimezoneMiddleware:
    """Pages show and read times in the patient's own zone; the database stays in UTC.

    The API is left in UTC, so a client gets the same times whoever asks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        is_page = not request.path.startswith("/api/")
        if is_page and user is not None and user.is_authenticated and user.role == Role.PATIENT:
            timezone.activate(user.patient_profile.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
