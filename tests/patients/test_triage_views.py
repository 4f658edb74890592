"""The triage page at /clinic/ and the triage fields of GET /api/v1/patients/."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journals.models import Flag, PainEntry, Rule, Severity
from patients.models import AuditEvent, Clinic, User
from tests.conftest import client_for
from tests.factories import MembershipFactory, PainEntryFactory, PatientFactory, UseEntryFactory
from tests.journals.test_triage import bulk_patients

TRIAGE_FIELDS = {
    "open_flags",
    "highest_severity",
    "open_flag_rules",
    "unreviewed_entries",
    "last_entry_at",
    "pain_7d_mean",
    "pain_trend",
    "kratom_7d_g_per_day",
    "sleep_efficiency_recent",
}


def flag(patient: User, rule: str = Rule.CO_USE, severity: str = Severity.HIGH) -> Flag:
    today = timezone.localdate()
    return Flag.objects.create(
        patient=patient, rule=rule, severity=severity, window_start=today, window_end=today
    )


def team(clinic: Clinic, clinician: User, *names: str) -> list[User]:
    patients = []
    for name in names:
        patient = PatientFactory(display_name=name, clinic=clinic)
        MembershipFactory(patient=patient, clinician=clinician)
        patients.append(patient)
    return patients


# The page


def test_the_page_shows_the_flagged_patient_first_with_severity_in_words(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    flag(erin)

    page = client_for(bob).get("/clinic/").content.decode()

    assert page.index("erin@example.org") < page.index("alice@example.org")
    assert 'class="severity severity-high">High<' in page
    assert "Kratom with alcohol or a sedative" in page


def test_each_name_links_to_the_patients_page(alice: User, bob: User, alice_team: object) -> None:
    page = client_for(bob).get("/clinic/").content.decode()

    assert f'href="/clinic/patients/{alice.pk}/"' in page


def test_the_pain_trend_arrow_has_a_text_alternative(
    alice: User, bob: User, alice_team: object
) -> None:
    now = timezone.now()
    PainEntryFactory(patient=alice, recorded_at=now - timedelta(hours=1), intensity=8)
    PainEntryFactory(patient=alice, recorded_at=now - timedelta(days=8), intensity=4)

    page = client_for(bob).get("/clinic/").content.decode()

    assert 'aria-hidden="true">↑</span>' in page
    assert "rising from 4.0 the week before" in page


@pytest.mark.parametrize("clinician", ["carol", "dave"])
def test_clinicians_off_the_team_see_none_of_alices_rows(
    request: pytest.FixtureRequest, alice: User, alice_team: object, clinician: str
) -> None:
    flag(alice)
    PainEntryFactory(patient=alice)

    response = client_for(request.getfixturevalue(clinician)).get("/clinic/")

    assert response.status_code == 200
    assert "alice@example.org" not in response.content.decode()
    assert "Alice" not in response.content.decode()
    assert not AuditEvent.objects.filter(patient=alice).exists()


def test_flagged_only_filter_keeps_patients_with_an_open_flag(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    flag(alice)

    page = client_for(bob).get("/clinic/?flagged=1").content.decode()

    assert "alice@example.org" in page
    assert "erin@example.org" not in page


def test_not_logging_filter_keeps_patients_quiet_for_three_days(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    PainEntryFactory(patient=alice)
    PainEntryFactory(patient=erin)
    PainEntry.objects.filter(patient=erin).update(created_at=timezone.now() - timedelta(days=4))

    page = client_for(bob).get("/clinic/?not_logging=1").content.decode()

    assert "erin@example.org" in page
    assert "alice@example.org" not in page


def test_search_finds_by_name_or_email_ignoring_case(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    by_name = client_for(bob).get("/clinic/?q=aLiCe").content.decode()
    by_email = client_for(bob).get("/clinic/?q=ERIN@").content.decode()

    assert "alice@example.org" in by_name
    assert "erin@example.org" not in by_name
    assert "erin@example.org" in by_email
    assert "alice@example.org" not in by_email


def test_sort_by_name_and_an_unknown_sort_falls_back_to_urgency(
    riverside: Clinic, bob: User
) -> None:
    zed, amy = team(riverside, bob, "Zed", "Amy")
    flag(zed)

    by_name = client_for(bob).get("/clinic/?sort=name").content.decode()
    unknown = client_for(bob).get("/clinic/?sort=bogus").content.decode()

    assert by_name.index(amy.email) < by_name.index(zed.email)
    assert unknown.index(zed.email) < unknown.index(amy.email)


def test_sort_by_kratom_puts_the_most_first(riverside: Clinic, bob: User) -> None:
    little, much = team(riverside, bob, "Little", "Much")
    UseEntryFactory(patient=little, amount=1)
    UseEntryFactory(patient=much, amount=6)

    page = client_for(bob).get("/clinic/?sort=kratom").content.decode()

    assert page.index(much.email) < page.index(little.email)


def test_pages_hold_25_patients_and_keep_the_filters(riverside: Clinic, bob: User) -> None:
    bulk_patients(clinician=bob, clinic=riverside, count=30)

    first = client_for(bob).get("/clinic/?sort=name&flagged=1").content.decode()
    second = client_for(bob).get("/clinic/?sort=name&flagged=1&page=2").content.decode()

    assert "bulk24@example.org" in first
    assert "bulk25@example.org" not in first
    assert "bulk25@example.org" in second
    assert "?sort=name&amp;flagged=1&amp;page=2" in first
    assert AuditEvent.objects.filter(actor=bob, action="view").count() == 25 + 5


def test_the_page_audits_only_the_patients_it_shows(riverside: Clinic, bob: User) -> None:
    bulk_patients(clinician=bob, clinic=riverside, count=30)

    client_for(bob).get("/clinic/?page=2")

    assert AuditEvent.objects.filter(actor=bob, object_type="patient").count() == 5


def assert_constant_queries(client: object, url: str, riverside: Clinic, bob: User) -> str:
    """The same queries for 1 patient as for 500, whether the kept triage summaries are all
    new (computed first) or current (read only); returns the last answer's body."""
    client.get(url)  # type: ignore[attr-defined]  # warm the session and first-request caches
    bulk_patients(clinician=bob, clinic=riverside, count=1)
    with CaptureQueriesContext(connection) as computing_one:
        assert client.get(url).status_code == 200  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as reading_one:
        assert client.get(url).status_code == 200  # type: ignore[attr-defined]
    assert len(reading_one) < len(computing_one)

    bulk_patients(clinician=bob, clinic=riverside, count=499, start=1)
    with CaptureQueriesContext(connection) as computing_500:
        client.get(url)  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as reading_500:
        response = client.get(url)  # type: ignore[attr-defined]
    assert len(computing_500) == len(computing_one)
    assert len(reading_500) == len(reading_one)
    return str(response.content.decode())


def test_the_page_takes_the_same_queries_for_one_or_500_patients(
    riverside: Clinic, bob: User
) -> None:
    page = assert_constant_queries(client_for(bob), "/clinic/", riverside, bob)
    assert "Page 1 of 20" in page


# The API


def test_the_patient_list_has_the_triage_fields(alice: User, bob: User, alice_team: object) -> None:
    flag(alice, Rule.FREQUENT_USE, Severity.MEDIUM)
    UseEntryFactory(patient=alice, amount=3)

    (body,) = client_for(bob).get("/api/v1/patients/").json()["results"]

    assert body.keys() >= TRIAGE_FIELDS
    assert {"id", "email", "display_name", "timezone", "date_of_birth", "clinic"} <= body.keys()
    assert body["open_flags"] == {"high": 0, "medium": 1, "low": 0}
    assert body["highest_severity"] == "medium"
    assert body["open_flag_rules"] == ["frequent_use"]
    assert body["unreviewed_entries"] == 1
    assert body["kratom_7d_g_per_day"] == 3.0
    assert body["pain_trend"] is None


def test_the_patient_record_keeps_its_fields(alice: User, bob: User, alice_team: object) -> None:
    body = client_for(bob).get(f"/api/v1/patients/{alice.pk}/").json()

    assert not TRIAGE_FIELDS & body.keys()


def test_the_api_filters_flagged_patients(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    flag(erin)
    client = client_for(bob)

    flagged = client.get("/api/v1/patients/?flagged=true").json()["results"]
    unflagged = client.get("/api/v1/patients/?flagged=false").json()["results"]

    assert [p["email"] for p in flagged] == ["erin@example.org"]
    assert [p["email"] for p in unflagged] == ["alice@example.org"]


def test_the_api_orders_by_urgency_by_default_and_by_name_on_request(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    flag(erin)
    client = client_for(bob)

    default = client.get("/api/v1/patients/").json()["results"]
    by_name = client.get("/api/v1/patients/?ordering=name").json()["results"]

    assert [p["email"] for p in default] == ["erin@example.org", "alice@example.org"]
    assert [p["email"] for p in by_name] == ["alice@example.org", "erin@example.org"]


@pytest.mark.parametrize("query", ["ordering=email", "ordering=-urgency", "flagged=maybe"])
def test_a_bad_query_parameter_is_400(bob: User, query: str) -> None:
    response = client_for(bob).get(f"/api/v1/patients/?{query}")

    assert response.status_code == 400


def test_the_api_list_takes_the_same_queries_for_one_or_500_patients(
    riverside: Clinic, bob: User
) -> None:
    body = assert_constant_queries(client_for(bob), "/api/v1/patients/", riverside, bob)
    assert json.loads(body)["count"] == 500


def test_the_schema_describes_the_triage_fields_and_parameters(bob: User) -> None:
    schema = client_for(bob).get("/api/v1/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/patients/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"flagged", "ordering", "search", "page"} <= names
    triage = schema["components"]["schemas"]["PatientTriage"]["properties"]
    assert triage.keys() >= TRIAGE_FIELDS
