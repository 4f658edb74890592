"""GET /api/v1/flags/ (filters, newest first), one flag, acknowledge and resolve (issue 4)."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from journals.models import Flag, FlagStatus, Rule, Severity
from patients import services as patient_services
from patients.models import AuditEvent, User
from tests.conftest import client_for
from tests.factories import PatientFactory
from tests.journals.helpers import NOW, ids

pytestmark = pytest.mark.usefixtures("frozen_now")

FLAGS = "/api/v1/flags/"
FLAG_FIELDS = {
    "id",
    "patient",
    "rule",
    "severity",
    "status",
    "window_start",
    "window_end",
    "evidence",
    "created_at",
    "updated_at",
    "acknowledged_by",
    "acknowledged_at",
    "acknowledgement_note",
    "resolved_by",
    "resolved_at",
    "resolution_note",
    "note",
}


def make_flag(patient: User, rule: str = Rule.CO_USE, **fields: Any) -> Flag:
    values: dict[str, Any] = {
        "severity": Severity.HIGH,
        "status": FlagStatus.OPEN,
        "window_start": date(2026, 4, 1),
        "window_end": date(2026, 4, 1),
        "evidence": [
            {
                "entry_id": "6f1c1d2e-8b5a-4c3e-9d7f-0a1b2c3d4e5f",
                "kind": "use",
                "at": "2026-04-01T21:00:00+02:00",
                "values": {"substance": "kratom", "amount": 3.5, "mixed_with": "alcohol"},
            }
        ],
        **fields,
    }
    return Flag.objects.create(patient=patient, rule=rule, **values)


def flag_url(flag: Flag, change: str = "") -> str:
    return f"{FLAGS}{flag.pk}/{change + '/' if change else ''}"


@pytest.fixture
def bob_client(bob: User, alice_team: Any) -> Any:
    return client_for(bob)


# Shape ---------------------------------------------------------------------------------


def test_a_flag_has_exactly_the_documented_fields(bob_client, alice):
    flag = make_flag(alice)

    body = bob_client.get(flag_url(flag)).json()

    assert set(body) == FLAG_FIELDS
    assert body["id"] == str(flag.pk)
    assert body["patient"] == str(alice.pk)
    assert body["rule"] == "co_use"
    assert body["severity"] == "high"
    assert body["status"] == "open"
    assert body["window_start"] == "2026-04-01"
    assert body["acknowledged_by"] is None
    assert body["acknowledged_at"] is None
    assert body["resolved_by"] is None
    assert body["resolved_at"] is None


def test_a_flag_shows_its_evidence(bob_client, alice):
    flag = make_flag(alice)

    evidence = bob_client.get(flag_url(flag)).json()["evidence"]

    assert evidence == [
        {
            "entry_id": "6f1c1d2e-8b5a-4c3e-9d7f-0a1b2c3d4e5f",
            "kind": "use",
            "at": "2026-04-01T21:00:00+02:00",
            "values": {"substance": "kratom", "amount": 3.5, "mixed_with": "alcohol"},
        }
    ]


# The list and its filters -----------------------------------------------------------------


def test_the_list_shows_the_flags_of_all_the_clinicians_patients(
    bob_client, alice, erin, erin_team
):
    of_alice, of_erin = make_flag(alice), make_flag(erin)

    response = bob_client.get(FLAGS)

    assert response.status_code == 200
    assert set(ids(response)) == {str(of_alice.pk), str(of_erin.pk)}


def test_the_list_is_newest_first(bob_client, alice):
    older = make_flag(alice, Rule.CO_USE)
    newer = make_flag(alice, Rule.POOR_SLEEP)
    Flag.objects.filter(pk=older.pk).update(created_at=NOW - timedelta(days=1))

    assert ids(bob_client.get(FLAGS)) == [str(newer.pk), str(older.pk)]


def test_a_clinician_outside_the_care_team_sees_no_flags(carol, alice):
    make_flag(alice)

    response = client_for(carol).get(FLAGS)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_the_status_filter_shows_only_flags_in_that_status(bob_client, alice):
    make_flag(alice, Rule.CO_USE)
    done = make_flag(alice, Rule.POOR_SLEEP, status=FlagStatus.RESOLVED)

    assert ids(bob_client.get(FLAGS, {"status": "resolved"})) == [str(done.pk)]


def test_the_patient_filter_shows_only_that_patients_flags(bob_client, alice, erin, erin_team):
    make_flag(alice)
    of_erin = make_flag(erin)

    assert ids(bob_client.get(FLAGS, {"patient": str(erin.pk)})) == [str(of_erin.pk)]


def test_the_patient_filter_on_a_patient_out_of_scope_shows_nothing(bob_client, alice, riverside):
    stranger = PatientFactory(clinic=riverside)
    make_flag(stranger)

    response = bob_client.get(FLAGS, {"patient": str(stranger.pk)})

    assert response.status_code == 200
    assert ids(response) == []


def test_the_rule_filter_shows_only_that_rules_flags(bob_client, alice):
    make_flag(alice, Rule.CO_USE)
    sleep = make_flag(alice, Rule.POOR_SLEEP)

    assert ids(bob_client.get(FLAGS, {"rule": "poor_sleep"})) == [str(sleep.pk)]


def test_the_filters_combine(bob_client, alice, erin, erin_team):
    wanted = make_flag(alice, Rule.CO_USE)
    make_flag(alice, Rule.POOR_SLEEP)
    make_flag(erin, Rule.CO_USE)
    make_flag(alice, Rule.CO_USE, status=FlagStatus.RESOLVED)

    query = {"status": "open", "patient": str(alice.pk), "rule": "co_use"}

    assert ids(bob_client.get(FLAGS, query)) == [str(wanted.pk)]


@pytest.mark.parametrize(
    ("param", "value"),
    [("status", "closed"), ("rule", "coffee"), ("patient", "not-a-uuid")],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(bob_client, alice, param, value):
    make_flag(alice)

    response = bob_client.get(FLAGS, {param: value})

    assert response.status_code == 400
    assert param in response.json()


def test_a_flags_own_url_ignores_list_filters(bob_client, alice):
    flag = make_flag(alice)

    assert bob_client.get(flag_url(flag), {"status": "resolved"}).status_code == 200


# Who may read ------------------------------------------------------------------------------


def test_a_patient_gets_403_on_the_flags_list(alice):
    make_flag(alice)

    assert client_for(alice).get(FLAGS).status_code == 403


def test_a_patient_gets_403_on_their_own_flag(alice):
    flag = make_flag(alice)

    assert client_for(alice).get(flag_url(flag)).status_code == 403


def test_a_clinician_outside_the_care_team_gets_404(carol, alice):
    flag = make_flag(alice)

    assert client_for(carol).get(flag_url(flag)).status_code == 404


def test_after_consent_is_revoked_the_flag_is_404_and_gone_from_the_list(
    bob_client, alice, alice_team
):
    flag = make_flag(alice)
    patient_services.care_team_revoke(membership=alice_team)

    assert bob_client.get(flag_url(flag)).status_code == 404
    assert bob_client.get(FLAGS).json()["count"] == 0
    assert bob_client.post(flag_url(flag, "acknowledge"), {}).status_code == 404
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN


def test_an_unknown_flag_id_is_404(bob_client):
    assert bob_client.get(f"{FLAGS}6f1c1d2e-8b5a-4c3e-9d7f-0a1b2c3d4e5f/").status_code == 404


# Acknowledge and resolve -------------------------------------------------------------------


def test_acknowledging_an_open_flag_answers_200_with_the_updated_flag(bob_client, bob, alice):
    flag = make_flag(alice)

    response = bob_client.post(flag_url(flag, "acknowledge"), {"note": " Called her. "})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == FLAG_FIELDS
    assert body["status"] == "acknowledged"
    assert body["acknowledged_by"] == str(bob.pk)
    assert body["acknowledged_at"] is not None
    assert body["acknowledgement_note"] == body["note"] == "Called her."
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.ACKNOWLEDGED


def test_acknowledging_without_a_note_is_fine(bob_client, alice):
    flag = make_flag(alice)

    response = bob_client.post(flag_url(flag, "acknowledge"), {})

    assert response.status_code == 200
    assert response.json()["note"] == ""


def test_acknowledging_twice_is_a_400_that_says_why(bob_client, alice):
    flag = make_flag(alice)
    bob_client.post(flag_url(flag, "acknowledge"), {"note": "First."})

    response = bob_client.post(flag_url(flag, "acknowledge"), {"note": "Second."})

    assert response.status_code == 400
    assert response.json() == {"status": ["This flag is already acknowledged."]}
    assert Flag.objects.get(pk=flag.pk).acknowledgement_note == "First."


def test_resolving_keeps_who_acknowledged_and_their_note_apart_from_the_resolution(
    bob_client, bob, alice, carol
):
    patient_services.care_team_add(patient=alice, clinician=carol)
    flag = make_flag(alice)
    bob_client.post(flag_url(flag, "acknowledge"), {"note": "Seen."})

    response = client_for(carol).post(flag_url(flag, "resolve"), {"note": "Stopped mixing."})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "resolved"
    assert (body["acknowledged_by"], body["acknowledgement_note"]) == (str(bob.pk), "Seen.")
    assert (body["resolved_by"], body["resolution_note"]) == (str(carol.pk), "Stopped mixing.")
    assert body["note"] == "Stopped mixing."  # the deprecated field: the latest note


def test_resolving_without_a_note_keeps_the_acknowledgement_note(bob_client, alice):
    flag = make_flag(alice)
    bob_client.post(flag_url(flag, "acknowledge"), {"note": "Seen."})

    body = bob_client.post(flag_url(flag, "resolve"), {}).json()

    assert (body["acknowledgement_note"], body["resolution_note"]) == ("Seen.", "")
    assert body["note"] == "Seen."


def test_resolving_an_open_flag_acknowledges_it_too(bob_client, bob, alice):
    flag = make_flag(alice)

    body = bob_client.post(flag_url(flag, "resolve"), {"note": "False alarm."}).json()

    assert body["status"] == "resolved"
    assert body["acknowledged_by"] == body["resolved_by"] == str(bob.pk)
    assert body["acknowledged_at"] == body["resolved_at"]
    assert (body["acknowledgement_note"], body["resolution_note"]) == ("", "False alarm.")


def test_resolving_a_resolved_flag_is_a_400(bob_client, alice):
    flag = make_flag(alice)
    bob_client.post(flag_url(flag, "resolve"), {})

    response = bob_client.post(flag_url(flag, "resolve"), {})

    assert response.status_code == 400
    assert response.json() == {"status": ["This flag is already resolved."]}


def test_acknowledging_a_resolved_flag_is_a_400(bob_client, alice):
    flag = make_flag(alice, status=FlagStatus.RESOLVED)

    response = bob_client.post(flag_url(flag, "acknowledge"), {})

    assert response.status_code == 400
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.RESOLVED


@pytest.mark.parametrize("change", ["acknowledge", "resolve"])
def test_a_note_over_2000_characters_is_a_400_and_nothing_changes(bob_client, alice, change):
    flag = make_flag(alice)

    response = bob_client.post(flag_url(flag, change), {"note": "x" * 2001})

    assert response.status_code == 400
    assert "note" in response.json()
    stored = Flag.objects.get(pk=flag.pk)
    assert (stored.status, stored.acknowledged_by_id, stored.resolved_by_id) == (
        FlagStatus.OPEN,
        None,
        None,
    )
    assert (stored.acknowledgement_note, stored.resolution_note) == ("", "")


@pytest.mark.parametrize("change", ["acknowledge", "resolve"])
def test_a_patient_cannot_change_their_own_flag(alice, change):
    flag = make_flag(alice)

    response = client_for(alice).post(flag_url(flag, change), {})

    assert response.status_code == 403
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN


@pytest.mark.parametrize("change", ["acknowledge", "resolve"])
def test_a_clinician_outside_the_care_team_cannot_change_a_flag(carol, alice, change):
    flag = make_flag(alice)

    response = client_for(carol).post(flag_url(flag, change), {})

    assert response.status_code == 404
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN


# Audit and queries ---------------------------------------------------------------------------


def test_a_list_read_is_audited_once_per_patient_shown(bob_client, bob, alice, erin, erin_team):
    make_flag(alice, Rule.CO_USE)
    make_flag(alice, Rule.POOR_SLEEP)
    make_flag(erin)

    bob_client.get(FLAGS)

    events = AuditEvent.objects.filter(actor=bob, object_type="flag")
    assert sorted(e.patient_id for e in events) == sorted([alice.pk, erin.pk])


def test_a_flag_read_is_audited(bob_client, bob, alice):
    flag = make_flag(alice)

    bob_client.get(flag_url(flag))

    assert AuditEvent.objects.filter(actor=bob, patient=alice, object_type="flag").count() == 1


def queries_for(client: Any, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.json()["count"]


def test_the_list_runs_as_many_queries_for_30_flags_as_for_1(bob_client, alice, erin, erin_team):
    make_flag(alice)
    with_one, listed = queries_for(bob_client, FLAGS)
    assert listed == 1

    for n in range(29):
        make_flag(
            alice if n % 2 else erin,
            Rule.CO_USE,
            status=FlagStatus.ACKNOWLEDGED if n % 3 else FlagStatus.RESOLVED,
            acknowledged_by=erin_team.clinician,
        )
    with_thirty, listed = queries_for(bob_client, FLAGS)

    assert listed == 30
    assert with_thirty == with_one


# The schema ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def test_the_schema_documents_each_evidence_item(schema):
    flag = schema["components"]["schemas"]["Flag"]
    evidence = schema["components"]["schemas"]["FlagEvidence"]

    assert flag["properties"]["evidence"]["items"] == {"$ref": "#/components/schemas/FlagEvidence"}
    assert set(evidence["properties"]) == {"entry_id", "kind", "at", "values"}


def test_the_schema_documents_both_people_and_notes_and_deprecates_the_single_note(schema):
    properties = schema["components"]["schemas"]["Flag"]["properties"]

    assert properties["resolved_by"]["format"] == "uuid"
    assert properties["resolved_by"]["nullable"] is True
    assert properties["acknowledgement_note"]["type"] == "string"
    assert properties["resolution_note"]["type"] == "string"
    assert properties["note"]["deprecated"] is True


def test_the_schema_documents_the_filters_and_their_400(schema):
    operation = schema["paths"]["/api/v1/flags/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}

    assert parameters["status"]["enum"] == sorted(FlagStatus.values)
    assert parameters["rule"]["enum"] == sorted(Rule.values)
    assert parameters["patient"]["format"] == "uuid"
    assert "400" in operation["responses"]
