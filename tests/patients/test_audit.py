"""The audit trail (issue 6): append-only in the database, one event per clinician read,
every change with its origin, and the request id that ties an event to its request."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import ProgrammingError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journals import services as journal_services
from journals.flags import services as flag_services
from journals.models import Flag, PainEntry, Rule, Severity, SleepEntry
from patients import audit, services
from patients.models import AuditAction, AuditEvent, User
from tests.conftest import client_for
from tests.factories import (
    PASSWORD,
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.test_permission_matrix import BLIND, ROWS, SEES

# The append-only table


def an_event(patient: User, actor: User) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, patient=patient, action=AuditAction.VIEW, object_type="patient"
    )


def refused(sql: str, params: list[Any]) -> str:
    """Run raw SQL as the app's own database role; the database's error message."""
    with pytest.raises(ProgrammingError) as error, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(error.value)


def test_the_database_refuses_a_raw_update_of_an_audit_row(alice, bob):
    event = an_event(alice, bob)

    message = refused("UPDATE patients_auditevent SET action = 'create' WHERE id = %s", [event.pk])

    assert "append-only" in message
    event.refresh_from_db()
    assert event.action == AuditAction.VIEW


def test_the_database_refuses_a_raw_delete_of_an_audit_row(alice, bob):
    event = an_event(alice, bob)

    message = refused("DELETE FROM patients_auditevent WHERE id = %s", [event.pk])

    assert "append-only" in message
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_orm_cannot_change_or_delete_audit_rows_either(alice, bob):
    event = an_event(alice, bob)

    with pytest.raises(ProgrammingError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_type="nothing")
    with pytest.raises(ProgrammingError), transaction.atomic():
        event.delete()

    assert AuditEvent.objects.get(pk=event.pk).object_type == "patient"


def test_the_refusal_is_not_skipped_for_the_role_the_app_connects_as(alice, bob):
    an_event(alice, bob)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (role,) = cursor.fetchone()

    message = refused("UPDATE patients_auditevent SET ip_address = NULL", [])

    assert role  # the role of TEST_DATABASE_URL, the same as the app's DATABASE_URL
    assert "UPDATE refused" in message


@pytest.mark.django_db(transaction=True)
def test_truncate_still_empties_the_table_for_test_flushes(alice, bob):
    """(This test's own teardown flushes every table with TRUNCATE too.)"""
    an_event(alice, bob)

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE patients_auditevent")

    assert not AuditEvent.objects.exists()


def test_a_user_with_an_audit_history_cannot_be_deleted(alice, bob):
    an_event(alice, bob)

    with pytest.raises(ProtectedError), transaction.atomic():
        bob.delete()

    assert AuditEvent.objects.filter(actor=bob).count() == 1


# Request ids


def test_every_response_carries_a_new_request_id(alice):
    first = client_for(alice).get("/today/")
    second = client_for(None).get("/signin/")

    assert uuid.UUID(first["X-Request-ID"]).version == 4
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_errors_and_redirects_carry_a_request_id_too(alice):
    missing = client_for(alice).get(f"/api/v1/pain-entries/{uuid.uuid4()}/")
    redirect = client_for(None).get("/today/")

    assert missing.status_code == 404
    assert redirect.status_code == 302
    assert uuid.UUID(missing["X-Request-ID"]).version == 4
    assert uuid.UUID(redirect["X-Request-ID"]).version == 4


def test_a_sane_incoming_request_id_is_kept(alice):
    response = client_for(alice).get("/today/", headers={"X-Request-ID": "lb-1234.abcd_EF"})

    assert response["X-Request-ID"] == "lb-1234.abcd_EF"


@pytest.mark.parametrize("incoming", ["", "has space", "<script>", "x" * 65, "-starts-with-dash"])
def test_an_odd_incoming_request_id_is_replaced(alice, incoming):
    response = client_for(alice).get("/today/", headers={"X-Request-ID": incoming})

    assert uuid.UUID(response["X-Request-ID"]).version == 4


def test_an_event_records_the_request_id_and_address(alice, bob, alice_team):
    response = client_for(bob).get(
        f"/api/v1/patients/{alice.pk}/", headers={"X-Request-ID": "req-42"}, REMOTE_ADDR="10.1.2.3"
    )

    event = AuditEvent.objects.get(patient=alice)
    assert response["X-Request-ID"] == "req-42"
    assert (event.request_id, event.ip_address) == ("req-42", "10.1.2.3")
    assert (event.actor, event.action, event.object_type) == (bob, AuditAction.VIEW, "patient")


# Every clinician read: exactly one event per request and patient shown


@dataclass(frozen=True)
class Read:
    """A clinician request that shows alice's data; ``also`` are the other events it makes."""

    name: str
    method: str
    kwargs: Callable[[dict[str, Any]], dict[str, str]]
    body: dict[str, Any] = field(default_factory=dict)
    also: tuple[str, ...] = ()


def _of_alice(w: dict[str, Any]) -> dict[str, str]:
    return {"patient_pk": str(w["alice"].pk)}


def _entry_reads(kind: str) -> list[Read]:
    return [
        Read(f"patient-{kind}-list", "get", _of_alice),
        Read(
            f"patient-{kind}-detail",
            "get",
            lambda w: {**_of_alice(w), "pk": str(w[kind].pk)},
        ),
    ]


CLINICIAN_READS = [
    Read("clinician-home", "get", lambda w: {}),
    Read("clinician-patient", "get", lambda w: {"patient_id": str(w["alice"].pk)}),
    Read("clinician-visit-summary", "get", lambda w: {"patient_id": str(w["alice"].pk)}),
    # Invalid overrides re-render the whole patient page.
    Read(
        "clinician-thresholds",
        "post",
        lambda w: {"patient_id": str(w["alice"].pk)},
        body={"single_dose_g": "-1"},
    ),
    Read("patient-list", "get", lambda w: {}),
    Read("patient-search", "post", lambda w: {}, body={"search": "alice"}),
    Read("patient-detail", "get", lambda w: {"pk": str(w["alice"].pk)}),
    *[
        read
        for kind in ("pain-entries", "peg-assessments", "sleep-entries", "use-entries")
        for read in _entry_reads(kind)
    ],
    Read("flag-list", "get", lambda w: {}),
    Read("flag-detail", "get", lambda w: {"pk": str(w["flag"].pk)}),
    Read(
        "flag-acknowledge",
        "post",
        lambda w: {"pk": str(w["flag"].pk)},
        also=(AuditAction.FLAG_ACKNOWLEDGED,),
    ),
    Read(
        "flag-resolve",
        "post",
        lambda w: {"pk": str(w["flag"].pk)},
        also=(AuditAction.FLAG_RESOLVED,),
    ),
    Read(
        "clinician-patient-export",
        "get",
        lambda w: {"patient_id": str(w["alice"].pk), "kind": "use"},
    ),
    Read("patient-export", "get", lambda w: {**_of_alice(w), "kind": "use"}),
    Read("patient-fhir", "get", _of_alice),
    Read("patient-thresholds", "get", _of_alice),
    Read(
        "patient-thresholds",
        "put",
        _of_alice,
        body={"single_dose_g": 4},
        also=(AuditAction.UPDATE,),
    ),
    Read("patient-review-list", "get", _of_alice),
    Read(
        "patient-review-list",
        "post",
        _of_alice,
        body={"note": "Seen."},
        also=(AuditAction.CREATE,),
    ),
]


@pytest.fixture
def world(alice, erin, bob, alice_team, erin_team) -> dict[str, Any]:
    objects: dict[str, Any] = {"alice": alice}
    factories = {
        "pain-entries": PainEntryFactory,
        "peg-assessments": PegAssessmentFactory,
        "sleep-entries": SleepEntryFactory,
        "use-entries": UseEntryFactory,
    }
    for kind, factory in factories.items():
        objects[kind] = factory(patient=alice)
        factory(patient=erin)
    for patient in (alice, erin):
        objects["flag" if patient == alice else "erins_flag"] = Flag.objects.create(
            patient=patient,
            rule=Rule.CO_USE,
            severity=Severity.HIGH,
            window_start=patient.date_joined.date(),
            window_end=patient.date_joined.date(),
        )
    return objects


def test_the_reads_below_are_every_clinician_read_of_the_permission_matrix():
    """A new clinician endpoint or page must join CLINICIAN_READS (and be audited)."""
    # Patient data: bob (on alice's team) is answered, carol (same clinic, not on it) is not.
    clinician_reads = {
        (row.name, row.method)
        for row in ROWS
        if row.expect["bob"] in (200, SEES) and row.expect["carol"] in (404, BLIND)
    }
    # Invitations are the clinician's own (emails of people not yet patients).
    clinician_reads.discard(("invitation-list", "get"))
    covered = {(read.name, read.method) for read in CLINICIAN_READS}

    assert clinician_reads - covered == set()


# A read is a view, or an export of the patient's data (a file of it).
READS = (AuditAction.VIEW, AuditAction.EXPORT)


@pytest.mark.parametrize("read", CLINICIAN_READS, ids=lambda r: f"{r.method}-{r.name}")
def test_each_clinician_request_writes_one_view_event_per_patient_shown(read, world, bob, erin):
    url = reverse(read.name, kwargs=read.kwargs(world))
    client = client_for(bob)
    before = AuditEvent.objects.count()

    if url.startswith("/api/"):
        response = getattr(client, read.method)(url, read.body, format="json")
    else:
        response = getattr(client, read.method)(url, read.body)

    assert response.status_code in (200, 201, 400)
    events = AuditEvent.objects.order_by("id")[before:]
    reads = [e for e in events if e.action in READS and e.patient == world["alice"]]
    assert len(reads) == 1
    assert reads[0].actor == bob
    assert reads[0].request_id == response["X-Request-ID"]
    others = sorted(e.action for e in events if e.action not in READS)
    assert others == sorted(read.also)
    # Lists show erin too (bob is on her team): one event for her, never two.
    assert sum(1 for e in events if e.patient == erin) <= 1


def test_a_second_request_is_a_second_event(alice, bob, alice_team):
    client = client_for(bob)
    client.get(f"/api/v1/patients/{alice.pk}/pain-entries/")
    client.get(f"/api/v1/patients/{alice.pk}/pain-entries/")

    assert AuditEvent.objects.filter(patient=alice, action=AuditAction.VIEW).count() == 2


@pytest.mark.django_db(transaction=True)
def test_read_events_alone_commit_without_waiting_for_the_disk(alice, bob, alice_team):
    def synchronous_commit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    with CaptureQueriesContext(connection) as alone:
        audit.audit_reads(request=None, actor=bob, patients=[alice], object_type="patient")
    after = synchronous_commit()
    # Inside a caller's transaction its own commit decides, for all it holds.
    with transaction.atomic(), CaptureQueriesContext(connection) as inside:
        audit.audit_reads(request=None, actor=bob, patients=[alice], object_type="patient")
        during = synchronous_commit()

    assert "SET LOCAL synchronous_commit TO OFF" in [q["sql"] for q in alone]
    assert after == "on"  # for that transaction only
    assert not [q for q in inside if "synchronous_commit TO" in q["sql"]]
    assert during == "on"
    assert AuditEvent.objects.filter(patient=alice, actor=bob, action=AuditAction.VIEW).count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "/today/",
        "/history/",
        "/trends/",
        "/settings/",
        "/settings/care-team/",
        "/settings/access-log/",
        "/api/v1/pain-entries/",
        "/api/v1/sleep-entries/",
        "/api/v1/me/",
        "/api/v1/care-team/",
        "/api/v1/access-log/",
    ],
)
def test_a_patient_reading_their_own_record_writes_no_view_event(alice, bob, alice_team, url):
    PainEntryFactory(patient=alice)

    assert client_for(alice).get(url).status_code == 200

    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_a_clinician_refused_with_404_writes_no_view_event(alice, carol):
    response = client_for(carol).get(f"/api/v1/patients/{alice.pk}/")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


# Changes to journal entries, with before and after


PAIN = {"recorded_at": "2026-03-01T20:00:00Z", "intensity": 4, "locations": ["lower_back"]}


def test_creating_an_entry_records_its_answers_after(alice):
    response = client_for(alice).post("/api/v1/pain-entries/", {**PAIN, "note": "rainy"})

    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action=AuditAction.CREATE)
    assert (event.actor, event.patient, event.object_type) == (alice, alice, "painentry")
    assert event.object_id == response.json()["id"]
    assert event.before is None
    assert event.after == {
        "recorded_at": "2026-03-01T20:00:00Z",
        "intensity": 4,
        "locations": ["lower_back"],
        "note": "rainy",
    }
    assert event.request_id == response["X-Request-ID"]


def test_repeating_a_create_with_the_same_id_records_nothing_more(alice):
    client = client_for(alice)
    body = {**PAIN, "id": str(uuid.uuid4())}
    client.post("/api/v1/pain-entries/", body)
    client.post("/api/v1/pain-entries/", body)

    assert AuditEvent.objects.filter(action=AuditAction.CREATE).count() == 1


def test_a_refused_create_records_nothing(alice):
    response = client_for(alice).post("/api/v1/pain-entries/", {**PAIN, "intensity": 11})

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(object_type="painentry").exists()


def test_changing_an_entry_records_before_and_after(alice):
    entry = PainEntryFactory(patient=alice, intensity=6, note="")

    client_for(alice).patch(f"/api/v1/pain-entries/{entry.pk}/", {"intensity": 2, "note": "x"})

    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.object_id == str(entry.pk)
    assert (event.before["intensity"], event.before["note"]) == (6, "")
    assert (event.after["intensity"], event.after["note"]) == (2, "x")
    assert event.before["recorded_at"] == event.after["recorded_at"]


def test_an_edit_on_the_page_records_the_stored_values_as_before(alice):
    """The page's form puts the typed values on the entry before the service runs."""
    entry = PainEntryFactory(patient=alice, intensity=6)
    form = {"recorded_at": "2026-04-01T21:15", "intensity": "3", "note": ""}

    response = client_for(alice).post(f"/history/pain/{entry.pk}/edit/", form)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert (event.before["intensity"], event.after["intensity"]) == (6, 3)
    assert event.after["recorded_at"] == "2026-04-01T19:15:00Z"  # 21:15 in Berlin


def test_a_refused_change_records_nothing(alice):
    entry = PainEntryFactory(patient=alice, intensity=6)

    response = client_for(alice).patch(f"/api/v1/pain-entries/{entry.pk}/", {"intensity": 12})

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_deleting_an_entry_records_its_answers_before(alice):
    entry = SleepEntryFactory(patient=alice, quality=2)

    response = client_for(alice).delete(f"/api/v1/sleep-entries/{entry.pk}/")

    assert response.status_code == 204
    event = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert (event.object_type, event.object_id) == ("sleepentry", str(entry.pk))
    assert event.before["quality"] == 2
    assert event.before["night_of"] == entry.night_of.isoformat()
    assert event.after is None
    assert not SleepEntry.objects.filter(pk=entry.pk).exists()


def test_a_check_in_records_one_create_per_entry(alice):
    journal_services.entries_create(
        patient=alice,
        parts={
            "pain": (PainEntry, {"recorded_at": "2026-03-01T20:00:00Z", "intensity": 3}),
            "pain2": (PainEntry, {"recorded_at": "2026-03-01T21:00:00Z", "intensity": 5}),
        },
    )

    events = AuditEvent.objects.filter(action=AuditAction.CREATE).order_by("id")
    assert [e.after["intensity"] for e in events] == [3, 5]
    assert {e.actor for e in events} == {None}  # no one signed in: a command or import


def test_a_refused_check_in_records_nothing(alice):
    with pytest.raises(journal_services.EntriesInvalid):
        journal_services.entries_create(
            patient=alice,
            parts={
                "pain": (PainEntry, {"recorded_at": "2026-03-01T20:00:00Z", "intensity": 3}),
                "bad": (PainEntry, {"recorded_at": "2026-03-01T21:00:00Z", "intensity": 50}),
            },
        )

    assert not AuditEvent.objects.exists()


# Consent, flags and signing in

ACTED_AT = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


def test_revoking_and_restoring_consent_are_the_patients_events(alice, bob, alice_team):
    client = client_for(alice)
    client.post(f"/api/v1/care-team/{alice_team.pk}/revoke/")
    client.post(f"/api/v1/care-team/{alice_team.pk}/revoke/")  # already revoked: no change
    client.post(f"/settings/care-team/{alice_team.pk}/restore/")

    events = list(AuditEvent.objects.filter(action=AuditAction.CONSENT_CHANGE).order_by("id"))
    assert [(e.actor, e.patient, e.object_id) for e in events] == [
        (alice, alice, str(alice_team.pk))
    ] * 2
    assert [(e.before["consent"], e.after["consent"]) for e in events] == [
        (True, False),
        (False, True),
    ]


def test_joining_a_care_team_is_a_consent_event(alice, carol):
    membership = services.care_team_add(patient=alice, clinician=carol)
    services.care_team_add(patient=alice, clinician=carol)  # idempotent: nothing new

    event = AuditEvent.objects.get(action=AuditAction.CONSENT_CHANGE)
    assert (event.patient, event.object_id) == (alice, str(membership.pk))
    assert event.before is None
    assert event.after == {"clinician": str(carol.pk), "on_care_team": True, "consent": True}


def test_acknowledging_a_flag_on_the_page_is_recorded(world, alice, bob):
    flag = world["flag"]

    with time_machine.travel(ACTED_AT, tick=False):
        client_for(bob).post(
            f"/clinic/patients/{alice.pk}/flags/{flag.pk}/acknowledge/", {"note": "Called her."}
        )

    event = AuditEvent.objects.get(action=AuditAction.FLAG_ACKNOWLEDGED)
    assert (event.actor, event.patient, event.object_id) == (bob, alice, str(flag.pk))
    assert event.before == {
        "status": "open",
        "acknowledged_by": None,
        "acknowledged_at": None,
        "acknowledgement_note": "",
    }
    assert event.after == {
        "status": "acknowledged",
        "acknowledged_by": str(bob.pk),
        "acknowledged_at": "2026-04-02T12:00:00Z",
        "acknowledgement_note": "Called her.",
    }


def test_resolving_a_flag_records_the_resolver_and_their_note_and_not_the_acknowledgement(
    world, alice, bob, carol
):
    services.care_team_add(patient=alice, clinician=carol)
    flag = world["flag"]
    flag_services.flag_acknowledge(flag=flag, clinician=bob, note="Called her.")

    with time_machine.travel(ACTED_AT, tick=False):
        client_for(carol).post(f"/api/v1/flags/{flag.pk}/resolve/", {"note": "Stopped mixing."})

    event = AuditEvent.objects.get(action=AuditAction.FLAG_RESOLVED)
    assert (event.actor, event.patient, event.object_id) == (carol, alice, str(flag.pk))
    assert event.before == {
        "status": "acknowledged",
        "resolved_by": None,
        "resolved_at": None,
        "resolution_note": "",
    }
    assert event.after == {
        "status": "resolved",
        "resolved_by": str(carol.pk),
        "resolved_at": "2026-04-02T12:00:00Z",
        "resolution_note": "Stopped mixing.",
    }


def test_signing_in_is_recorded_without_a_patient(alice):
    response = client_for(None).post(
        "/signin/", {"username": "alice@example.org", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert (event.actor, event.patient, event.ip_address) == (alice, None, "10.0.0.9")
    assert event.request_id == response["X-Request-ID"]


def test_a_failed_sign_in_to_an_account_names_the_account(alice):
    client_for(None).post("/signin/", {"username": "alice@example.org", "password": "wrong"})

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert (event.actor, event.patient) == (alice, None)


def test_a_failed_sign_in_to_an_unknown_account_keeps_nothing_identifying(alice):
    client_for(None).post(
        "/api/v1/auth/token/", {"email": "nobody@example.org", "password": "guess"}, format="json"
    )

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert (event.actor, event.patient, event.object_id) == (None, None, "")
    assert "nobody" not in repr(
        AuditEvent.objects.filter(pk=event.pk).values().get()
    )  # every column


def test_signing_out_is_recorded(alice):
    client = client_for(alice)

    client.post("/signout/")

    assert AuditEvent.objects.filter(action=AuditAction.SIGN_OUT, actor=alice).count() == 1


def test_an_export_of_a_patient_is_that_requests_one_read(rf, alice, bob, alice_team):
    """For the export views: one EXPORT event, and no view event after it in the request."""
    request = rf.get("/", REMOTE_ADDR="10.0.0.5")
    request.request_id = "req-export"

    audit.audit_patient_export(request=request, actor=bob, patient=alice, object_type="export_csv")
    audit.audit_reads(request=request, actor=bob, patients=[alice], object_type="patient")

    event = AuditEvent.objects.get(patient=alice)
    assert (event.action, event.actor, event.object_type) == ("export", bob, "export_csv")
    assert (event.ip_address, event.request_id) == ("10.0.0.5", "req-export")


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("pain-entries/{random}/", {}, 404),  # an entry that is not in her journal
        ("pain-entries/", {"since": "not-a-date"}, 400),
    ],
)
def test_a_clinician_request_that_shows_no_entries_is_not_recorded_as_a_read(
    alice, bob, alice_team, path, query, status
):
    url = f"/api/v1/patients/{alice.pk}/" + path.format(random=uuid.uuid4())

    response = client_for(bob).get(url, query)

    assert response.status_code == status
    assert not AuditEvent.objects.filter(actor=bob, patient=alice, action=AuditAction.VIEW)
    assert client_for(bob).get(f"/api/v1/patients/{alice.pk}/pain-entries/").status_code == 200
    assert AuditEvent.objects.filter(actor=bob, patient=alice, action=AuditAction.VIEW).count() == 1
