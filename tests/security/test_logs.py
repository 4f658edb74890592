"""No patient data in the logs: representative flows run with recognisable values (names,
emails, notes, product names) while every log record is captured at DEBUG, and none of the
values may appear in any record; and no URL of the app carries anything but ids and tokens."""

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from journals import tasks
from journals.models import Delivery, Flag, ReminderKind, Rule
from patients.tasks import invitation_send_task
from tests.conftest import client_for
from tests.factories import PASSWORD, MembershipFactory
from tests.security import markers


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("factory"):
            return  # factory_boy, the tests' own object builder, describes what it builds
        # The formatted message with its traceback, and every extra attribute on the record.
        text = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
        self.lines.append(f"{text} {record.__dict__!r}")

    def leaks(self) -> list[str]:
        return [line[:600] for line in self.lines if markers.found_in(line)]


@pytest.fixture
def logs() -> Iterator[Capture]:
    """Every record any logger emits while the test runs, with the root at DEBUG."""
    capture = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(level)


def test_the_capture_would_see_a_leak(logs):
    logging.getLogger("journals.services").debug("oops %s", markers.PAIN_NOTE)

    assert markers.found_in("\n".join(logs.lines)) == [markers.PAIN_NOTE, markers.MARK]


def test_a_patients_journal_day_logs_none_of_their_data(
    riverside, bob, logs, django_capture_on_commit_callbacks
):
    patient = markers.marked_patient(riverside)
    MembershipFactory(patient=patient, clinician=bob)
    api = client_for(patient)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        pain = api.post(
            "/api/v1/pain-entries/",
            {
                "recorded_at": (now - timedelta(hours=2)).isoformat(),
                "intensity": 9,
                "note": markers.PAIN_NOTE,
            },
        )
        use = api.post(
            "/api/v1/use-entries/",
            {
                "taken_at": (now - timedelta(hours=1)).isoformat(),
                "substance": "kratom",
                "amount": "14",
                "unit": "g",
                "form": "powder",
                "product": markers.PRODUCT,
                "reason": "pain",
                "note": markers.USE_NOTE,
            },
        )
    too_long = api.post(
        "/api/v1/pain-entries/",
        {"recorded_at": now.isoformat(), "intensity": 4, "note": markers.PAIN_NOTE * 200},
    )
    bad_product = api.post("/api/v1/use-entries/", {"product": markers.PRODUCT, "amount": "-1"})
    api.patch(f"/api/v1/pain-entries/{pain.json()['id']}/", {"note": markers.SLEEP_NOTE})
    api.patch("/api/v1/me/", {"display_name": markers.NAME, "timezone": markers.NAME})
    api.get("/api/v1/pain-entries/")
    api.get("/api/v1/pain-entries/00000000-0000-0000-0000-000000000000/")
    api.get("/today/")
    api.get("/history/")
    api.get("/trends/")
    tasks.flags_evaluate_task.apply(args=[str(patient.pk)])

    assert (pain.status_code, use.status_code) == (201, 201)
    assert (too_long.status_code, bad_product.status_code) == (400, 400)
    assert logs.leaks() == []


def test_a_clinicians_review_logs_none_of_the_patients_data(
    riverside, bob, logs, django_capture_on_commit_callbacks
):
    patient = markers.marked_patient(riverside)
    MembershipFactory(patient=patient, clinician=bob)
    markers.use_entry(patient)
    today = timezone.localdate()
    flag = Flag.objects.create(
        patient=patient, rule=Rule.CO_USE, severity="high", window_start=today, window_end=today
    )
    clinician = client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        clinician.post("/api/v1/patients/search/", {"search": markers.NAME}, format="json")
        clinician.post("/clinic/", {"q": markers.NAME})
        clinician.get(f"/api/v1/patients/{patient.pk}/")
        clinician.get(f"/api/v1/patients/{patient.pk}/use-entries/")
        clinician.get(f"/clinic/patients/{patient.pk}/")
        clinician.post(f"/api/v1/patients/{patient.pk}/reviews/", {"note": markers.REVIEW_NOTE})
        clinician.post(f"/api/v1/flags/{flag.pk}/acknowledge/", {"note": markers.FLAG_NOTE})
        invited = clinician.post("/api/v1/invitations/", {"email": markers.INVITED})
    invitation_send_task.apply(args=[invited.json()["id"]])

    assert invited.status_code == 201
    assert logs.leaks() == []


def test_failed_sign_ins_log_no_email(riverside, logs):
    markers.marked_patient(riverside)

    Client().post("/api/v1/auth/token/", {"email": markers.EMAIL, "password": "wrong"})
    Client().post("/signin/", {"username": markers.EMAIL, "password": "wrong wrong"})
    Client().post("/signin/", {"username": markers.EMAIL, "password": PASSWORD})
    Client().post("/password-reset/", {"email": markers.EMAIL})

    assert logs.leaks() == []


def test_sending_a_reminder_logs_nothing_of_its_content(
    riverside, logs, django_capture_on_commit_callbacks, mailoutbox
):
    patient = markers.marked_patient(riverside)
    delivery = Delivery.objects.create(
        recipient=patient,
        kind=ReminderKind.FOLLOW_UP,
        local_date=timezone.localdate(),
        due_at=timezone.now(),
    )

    tasks.reminders_dispatch_task.apply()
    tasks.delivery_send_task.apply(args=[str(delivery.pk)])

    assert logs.lines  # the dispatcher reports its counts
    assert logs.leaks() == []


# URLs ------------------------------------------------------------------------------------

# Every URL parameter of the app is an id, a signed token, or a word from a fixed list.
SAFE_PARAMETERS = {
    "pk": "id",
    "patient_pk": "id",
    "patient_id": "id",
    "entry_id": "id",
    "membership_id": "id",
    "flag_id": "id",
    "token": "signed token of an id",
    "uidb64": "Django's encoded user id",
    "kind": "entry kind",
    "change": "revoke or restore",
    "action": "flag action",
    "format": "DRF format suffix",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue  # Django's admin: staff only, object ids
            yield from _patterns(entry, route)
        else:
            yield route, entry


def test_every_url_parameter_is_an_id_a_token_or_a_fixed_word():
    names = set()
    for route, _ in _patterns(get_resolver()):
        names |= set(re.findall(r"\(\?P<(\w+)>", route)) | set(
            re.findall(r"<(?:\w+:)?(\w+)>", route)
        )

    assert names <= set(SAFE_PARAMETERS), names - set(SAFE_PARAMETERS)
