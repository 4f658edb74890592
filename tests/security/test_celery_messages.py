"""Celery messages carry ids and plain values only, never health data.

Two checks: every task of ``patients`` and ``journals`` declares only plain parameters (so a
new task that takes a model or a dict fails here), and the messages the services really publish
to the real broker, caught by Celery's ``before_task_publish`` signal just before the broker
write, hold no marker of the patient's data.
"""

import inspect
import json
import typing
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import NoneType, UnionType
from typing import Any

import pytest
import time_machine
from celery import Task
from celery.signals import before_task_publish
from django.utils import timezone

from config.celery import app
from journals import tasks
from journals.models import Delivery, ReminderKind
from tests.conftest import client_for
from tests.security import markers

PLAIN = {str, int, float, bool, NoneType, uuid.UUID}
APPS = ("patients", "journals")


def project_tasks() -> dict[str, Any]:
    app.loader.import_default_modules()  # autodiscovery: every app's tasks.py
    return {name: task for name, task in app.tasks.items() if name.split(".")[0] in APPS}


def test_the_project_has_tasks_to_check():
    assert {
        "journals.tasks.flags_evaluate_task",
        "journals.tasks.flags_sweep_task",
        "patients.tasks.invitation_send_task",
    } <= set(project_tasks())


@pytest.mark.parametrize("name", sorted(project_tasks()))
def test_every_task_takes_plain_values_only(name):
    task = project_tasks()[name]
    hints = typing.get_type_hints(task.run)
    hints.pop("return", None)
    # bind=True: the first parameter is the task itself, not part of the message
    hints = {p: h for p, h in hints.items() if not (isinstance(h, type) and issubclass(h, Task))}

    assert set(inspect.signature(task.run).parameters) == set(hints), "annotate every parameter"
    for parameter, hint in hints.items():
        kinds = set(typing.get_args(hint)) if isinstance(hint, UnionType) else {hint}
        assert kinds <= PLAIN, f"{name}({parameter}: {hint}) is not a plain value"


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Every message published while the test runs: task name, args, kwargs, headers."""
    seen: list[dict[str, Any]] = []

    def record(sender: str, body: Any, headers: dict[str, Any], **_: Any) -> None:
        args, kwargs, _embed = body
        seen.append({"task": sender, "args": list(args), "kwargs": kwargs, "headers": headers})

    before_task_publish.connect(record, weak=False)
    yield seen
    before_task_publish.disconnect(record)
    with app.connection_for_write() as connection:  # nothing is left for a later worker
        app.control.purge(connection=connection)


def assert_ids_only(messages: list[dict[str, Any]]) -> None:
    assert messages
    for message in messages:
        for value in [*message["args"], *message["kwargs"].values()]:
            assert type(value) in {str, int, float, bool, NoneType}, message
            if isinstance(value, str):
                uuid.UUID(value)  # a string argument is an id
        assert markers.found_in(json.dumps(message, default=str)) == [], message


def test_recording_an_entry_publishes_the_patients_id_only(
    riverside, published, django_capture_on_commit_callbacks
):
    patient = markers.marked_patient(riverside)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(patient).post(
            "/api/v1/use-entries/",
            {
                "taken_at": (timezone.now() - timedelta(hours=1)).isoformat(),
                "substance": "kratom",
                "amount": "12",
                "unit": "g",
                "form": "powder",
                "product": markers.PRODUCT,
                "reason": "pain",
                "note": markers.USE_NOTE,
            },
        )

    assert response.status_code == 201
    assert [m["task"] for m in published] == ["journals.tasks.flags_evaluate_task"]
    assert published[0]["args"] == [str(patient.pk)]
    assert_ids_only(published)


def test_the_flag_sweep_publishes_patient_ids_only(riverside, published):
    patient = markers.marked_patient(riverside)
    markers.pain_entry(patient)
    markers.use_entry(patient)
    published.clear()

    tasks.flags_sweep_task.apply()

    assert {m["task"] for m in published} == {"journals.tasks.flags_evaluate_task"}
    assert_ids_only(published)


def test_an_invitation_publishes_its_id_only(bob, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post("/api/v1/invitations/", {"email": markers.INVITED})

    assert response.status_code == 201
    assert [m["task"] for m in published] == ["patients.tasks.invitation_send_task"]
    assert published[0]["args"] == [response.json()["id"]]
    assert_ids_only(published)


# 14:00 in Berlin, the marked patient's zone: none of her own reminders (08:00, 21:00) is due, so
# the dispatcher hands out the one row the test writes and nothing else, whenever the suite runs.
@time_machine.travel(datetime(2026, 12, 7, 13, 0, tzinfo=UTC), tick=False)
def test_a_due_reminder_publishes_the_delivery_id_only(
    riverside, published, django_capture_on_commit_callbacks
):
    patient = markers.marked_patient(riverside)
    markers.pain_entry(patient)
    published.clear()
    delivery = Delivery.objects.create(
        recipient=patient,
        kind=ReminderKind.EVENING,
        local_date=timezone.localdate(),
        due_at=timezone.now(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        tasks.reminders_dispatch_task()  # the dispatcher's service returns ids; its task publishes

    sends = [m for m in published if m["task"] == "journals.tasks.delivery_send_task"]
    assert [m["args"] for m in sends] == [[str(delivery.pk)]]
    assert_ids_only(published)


def test_every_published_task_name_is_a_checked_task(
    riverside, bob, published, django_capture_on_commit_callbacks
):
    """The flows above publish nothing outside the tasks whose signatures are checked."""
    patient = markers.marked_patient(riverside)
    with django_capture_on_commit_callbacks(execute=True):
        markers.pain_entry(patient)
        client_for(bob).post("/api/v1/invitations/", {"email": markers.INVITED})
    tasks.flags_sweep_task.apply()

    assert {m["task"] for m in published} <= set(project_tasks())
    assert_ids_only(published)
