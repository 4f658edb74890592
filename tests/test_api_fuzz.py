"""Property-based fuzzing of the whole REST API against its own OpenAPI schema.

Schemathesis loads /api/v1/schema/ in-process from the WSGI app, generates requests for
every operation (valid and invalid ones) and sends them through the same app: no server,
no network, inside pytest-django's test transaction. Each request is signed in as the
right role: alice for the patient endpoints, bob (on alice's care team) for the
clinician ones; about half of the requests on an object use one of alice's real ids.

Every response must: not be a 5xx, have a documented status code, have a documented
content type, match the documented body schema, and be JSON whenever it has a body.

The bugs it found and that were fixed have a regression test each, at the end.

A longer run: ``FUZZ_MAX_EXAMPLES=300 pytest tests/test_api_fuzz.py`` (a few minutes).
"""

import os
from dataclasses import dataclass
from datetime import date

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from journals.models import Flag, Rule, Severity
from patients.models import User
from tests.factories import (
    PainEntryFactory,
    PatientFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)

SERVED = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application).raw_schema


def load(raw: dict):
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = application
    return loaded


schema = load(SERVED)


# The downloads (issue #7) answer in their own documented types: a FHIR bundle is JSON too,
# a CSV export is CSV; content_type_conformance checks each is the one its schema names.
DOWNLOAD_TYPES = ("application/fhir+json", "text/csv")


@schemathesis.check
def json_content_type(ctx, response, case):
    """Every response that has a body is JSON: the API renders nothing else but downloads."""
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.content and not content_type.startswith(("application/json", *DOWNLOAD_TYPES)):
        raise AssertionError(f"Not JSON: {content_type}")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    json_content_type,
]
CLINICIAN_PATHS = ("/api/v1/patients/", "/api/v1/invitations/", "/api/v1/flags/")


@pytest.fixture
def keep_test_transaction():
    """Requests go through Django's raw WSGI handler, whose request signals close the
    connection (inside an atomic block, it counts as obsolete), and with it pytest-django's
    test transaction. Django's test client disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class World:
    alice: User
    bob: User
    tokens: dict[str, str]
    ids: dict[str, str]  # alice's object of each kind, by URL prefix

    def headers(self, path: str) -> dict[str, str]:
        role = "bob" if path.startswith(CLINICIAN_PATHS) else "alice"
        return {"Authorization": f"Token {self.tokens[role]}"}


@pytest.fixture
def world(keep_test_transaction, alice, bob, alice_team) -> World:
    ids = {
        "pain-entries": PainEntryFactory(patient=alice).pk,
        "peg-assessments": PegAssessmentFactory(patient=alice).pk,
        "sleep-entries": SleepEntryFactory(patient=alice).pk,
        "use-entries": UseEntryFactory(patient=alice).pk,
        "care-team": alice_team.pk,
        "patients": alice.pk,
        "flags": Flag.objects.create(
            patient=alice,
            rule=Rule.CO_USE,
            severity=Severity.HIGH,
            window_start=date(2026, 4, 1),
            window_end=date(2026, 4, 1),
            evidence=[
                {
                    "entry_id": "6f1c1d2e-8b5a-4c3e-9d7f-0a1b2c3d4e5f",
                    "kind": "use",
                    "at": "2026-04-01T21:00:00+02:00",
                    "values": {"substance": "kratom", "amount": 3.5, "mixed_with": "alcohol"},
                }
            ],
        ).pk,
    }
    tokens = {"alice": AuthToken.objects.create(alice)[1], "bob": AuthToken.objects.create(bob)[1]}
    return World(alice, bob, tokens, {kind: str(pk) for kind, pk in ids.items()})


OBJECT_ACTIONS = ("revoke", "restore", "acknowledge", "resolve")


def use_real_ids(case, world: World) -> None:
    """Point the path at alice's real objects, so the request gets past the 404."""
    kinds = [s for s in case.operation.path.split("/") if s and not s.startswith("{")]
    kind = kinds[-2] if kinds[-1] in OBJECT_ACTIONS else kinds[-1]
    params = dict(case.path_parameters)
    if "patient_pk" in params:
        params["patient_pk"] = world.ids["patients"]
    if "id" in params:
        params["id"] = world.ids[kind]
    case.path_parameters = params


@schema.parametrize()
@schema.given(real_ids=st.booleans())
@settings(
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, real_ids, world):
    if real_ids and case.path_parameters:
        use_real_ids(case, world)
    headers = world.headers(case.operation.path)
    if case.operation.label == "DELETE /api/v1/auth/token/":
        # Signing out ends every token of the caller: someone of its own, so the world's stay.
        headers = {"Authorization": f"Token {AuthToken.objects.create(PatientFactory())[1]}"}
    if case.operation.label == "POST /api/v1/auth/signout-everywhere/":
        # It ends every token of its caller: someone of its own, so the world's stay.
        headers = {"Authorization": f"Token {AuthToken.objects.create(PatientFactory())[1]}"}
    case.call_and_validate(headers=headers, checks=CHECKS)


def served_call(world: World, method: str, path: str, **case_kwargs) -> None:
    """Send one request and check it against the schema as served."""
    case = load(SERVED)[path][method].Case(**case_kwargs)
    case.call_and_validate(headers=world.headers(path), checks=CHECKS)


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/pain-entries/"])
def test_a_body_in_an_unsupported_media_type_is_a_documented_415(world, path):
    served_call(world, "POST", path, body="x", media_type="text/plain")


# Regressions: what this fuzzer found earlier, fixed in commit 4ccb313.


def test_a_validation_error_matches_its_schema(world):
    body = {"recorded_at": "2026-01-01T10:00:00+01:00", "intensity": 11, "locations": ["x"]}
    served_call(world, "POST", "/api/v1/pain-entries/", body=body, media_type="application/json")


def test_a_body_that_does_not_parse_matches_the_validation_error_schema(world):
    served_call(world, "PATCH", "/api/v1/me/", body="{", media_type="application/json")


def test_an_unknown_date_of_birth_matches_the_patient_schema(world):
    params = {"id": world.ids["patients"]}
    served_call(world, "GET", "/api/v1/patients/{id}/", path_parameters=params)


@pytest.mark.parametrize(
    "path", ["/api/v1/pain-entries/", "/api/v1/patients/", "/api/v1/invitations/"]
)
@pytest.mark.parametrize("page", [0, 2])
def test_a_page_past_the_end_is_a_documented_404(world, path, page):
    served_call(world, "GET", path, query={"page": page})


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/patients/{patient_pk}/pain-entries/", {"patient_pk": "not-a-uuid"}),
        ("/api/v1/pain-entries/{id}/", {"id": "a.b"}),
    ],
)
def test_an_unroutable_id_is_a_json_404(world, path, params):
    served_call(world, "GET", path, path_parameters=params)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/pain-entries/",
        "/api/v1/peg-assessments/",
        "/api/v1/sleep-entries/",
        "/api/v1/use-entries/",
        "/api/v1/patients/{patient_pk}/use-entries/",
    ],
)
@pytest.mark.parametrize(("since", "until"), [(date.min, date.max), (date.max, date.max)])
def test_calendar_edge_dates_filter_without_error(world, path, since, until):
    params = {"patient_pk": world.ids["patients"]} if "{patient_pk}" in path else {}
    query = {"since": since.isoformat(), "until": until.isoformat()}
    served_call(world, "GET", path, path_parameters=params, query=query)
