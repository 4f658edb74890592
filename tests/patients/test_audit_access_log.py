"""Who accessed my record (issue 6): the patient's page and ``GET /api/v1/access-log/``."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import AuditAction, AuditEvent, User
from tests.conftest import client_for

API = "/api/v1/access-log/"
PAGE = "/settings/access-log/"
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def event(patient: User, actor: User | None, action: str = AuditAction.VIEW, **fields):
    fields.setdefault("object_type", "patient")
    return AuditEvent.objects.create(actor=actor, patient=patient, action=action, **fields)


def test_the_patient_sees_which_clinician_opened_their_record(alice, bob, alice_team):
    client_for(bob).get(f"/api/v1/patients/{alice.pk}/sleep-entries/")

    results = client_for(alice).get(API).json()["results"]

    assert len(results) == 1
    assert results[0]["action"] == "view"
    assert results[0]["about"] == "a sleep diary"
    assert results[0]["actor"] == {
        "kind": "clinician",
        "display_name": "Dr Bob",
        "title": "MD",
        "clinic": "Riverside",
    }


def test_the_log_never_shows_a_clinicians_email_address_or_request_details(alice, bob):
    event(alice, bob, ip_address="10.9.8.7", request_id="req-secret")

    body = client_for(alice).get(API).content.decode()

    assert "bob@example.org" not in body
    assert "10.9.8.7" not in body
    assert "req-secret" not in body


def test_the_patients_own_changes_are_shown_as_theirs(alice):
    event(alice, alice, AuditAction.CREATE, object_type="painentry")
    event(alice, None, AuditAction.CONSENT_CHANGE, object_type="careteammembership")

    results = client_for(alice).get(API).json()["results"]

    assert [r["actor"]["kind"] for r in results] == ["mitra", "you"]
    assert [r["about"] for r in results] == ["your care team", "a pain entry"]


def test_another_patients_events_are_not_shown(alice, erin, bob, erin_team):
    client_for(bob).get(f"/api/v1/patients/{erin.pk}/")

    assert client_for(alice).get(API).json()["results"] == []
    assert len(client_for(erin).get(API).json()["results"]) == 1


def test_an_event_by_another_patient_is_never_shown(alice, erin):
    """Not a thing Mitra records; if it ever did, erin must not appear in alice's log."""
    event(alice, erin)

    assert client_for(alice).get(API).json()["results"] == []
    assert "Erin" not in client_for(alice).get(PAGE).content.decode()


def test_events_about_no_patient_are_not_in_anyones_log(alice):
    AuditEvent.objects.create(actor=alice, action=AuditAction.SIGN_IN)

    assert client_for(alice).get(API).json()["results"] == []


def test_newest_first_and_paginated(alice, bob):
    for hours in range(60):
        event(alice, bob, at=NOON + timedelta(hours=hours))

    first = client_for(alice).get(API).json()
    second = client_for(alice).get(API, {"page": 2}).json()

    assert first["count"] == 60
    assert len(first["results"]) == 50
    assert first["results"][0]["at"] == "2026-03-04T23:00:00Z"
    assert second["results"][-1]["at"] == "2026-03-02T12:00:00Z"


@pytest.mark.parametrize("user", ["bob", "dave"])
def test_clinicians_have_no_access_log_here(request, alice, bob, user):
    event(alice, bob)

    response = client_for(request.getfixturevalue(user)).get(API)

    assert response.status_code == 403


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("url", [API, PAGE])
def test_the_log_takes_as_many_queries_for_40_events_as_for_1(alice, bob, carol, url):
    client = client_for(alice)
    event(alice, bob)
    one = _queries(client, url)
    for i in range(39):
        event(alice, carol if i % 2 else bob)
        event(alice, alice, AuditAction.UPDATE, object_type="sleepentry")

    assert _queries(client, url) == one


def test_the_page_lists_who_when_and_what(alice, bob):
    event(alice, bob, at=datetime(2026, 3, 2, 11, 30, tzinfo=UTC), object_type="flag")

    page = client_for(alice).get(PAGE).content.decode()

    assert "Dr Bob" in page
    assert "MD, Riverside" in page
    assert "Viewed: a safety flag" in page
    assert "Mon 2 Mar 2026, 12:30" in page  # in Berlin
    assert "bob@example.org" not in page


def test_the_page_says_when_nothing_is_recorded(alice):
    assert "Nothing is recorded yet." in client_for(alice).get(PAGE).content.decode()


def test_the_settings_page_links_to_the_log(alice):
    assert f'href="{PAGE}"' in client_for(alice).get("/settings/").content.decode()
