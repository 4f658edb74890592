import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from patients import audit
from patients.models import Role

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy or client may send: short, and only characters safe in logs and headers.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class RequestIdMiddleware:
    """Every request gets an id: a sane incoming ``X-Request-ID``, else a new uuid4. It is
    kept on the request (``request.request_id``), written with each audit event the request
    causes, and sent back in the response's ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit.request_bound(request):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


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
