"""The triage page at /clinic/, and the triage fields of GET /api/v1/patients/ and its search."""

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journals.models import Flag, Rule, Severity
from patients.models import AuditEvent, Clinic, User
from tests.conftest import client_for
from tests.factories import MembershipFactory, PainEntryFactory, PatientFactory, UseEntryFactory
from tests.journals.test_triage import bulk_patients

SEARCH = "/api/v1/patients/search/"

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
    PainEntryFactory(patient=erin, recorded_at=timezone.now() - timedelta(days=4))

    page = client_for(bob).get("/clinic/?not_logging=1").content.decode()

    assert "erin@example.org" in page
    assert "alice@example.org" not in page


def searched(client: Any, term: str, **filters: str) -> str:
    """The triage page after the filter form posted ``term``."""
    answer = client.post("/clinic/", {"q": term, **filters})
    assert answer.status_code == 302
    return str(client.get(answer["Location"]).content.decode())


def test_search_finds_by_name_or_email_ignoring_case(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    client = client_for(bob)

    by_name = searched(client, "aLiCe")
    by_email = searched(client, "ERIN@")

    assert "alice@example.org" in by_name
    assert "erin@example.org" not in by_name
    assert "erin@example.org" in by_email
    assert "alice@example.org" not in by_email


def test_a_search_stays_out_of_every_url_and_holds_across_pages_until_cleared(
    riverside: Clinic, bob: User
) -> None:
    bulk_patients(clinician=bob, clinic=riverside, count=30)
    (aaron,) = team(riverside, bob, "Aaron")
    client = client_for(bob)

    posted = client.post("/clinic/", {"q": "  BULK ", "sort": "name"})
    first = client.get(posted["Location"]).content.decode()
    second = client.get("/clinic/?sort=name&page=2").content.decode()
    cleared = client.post("/clinic/", {"q": "BULK", "sort": "name", "clear": "1"})
    after = client.get(cleared["Location"]).content.decode()

    assert posted["Location"] == "/clinic/?sort=name"
    assert "Page 1 of 2" in first
    assert "bulk0@example.org" in first
    assert aaron.email not in first
    assert 'value="BULK"' in first
    assert re.findall(r'(?:href|action)="([^"]*)"', first)
    assert not [
        url for url in re.findall(r'(?:href|action)="([^"]*)"', first) if "bulk" in url.lower()
    ]
    assert "bulk29@example.org" in second
    assert aaron.email not in second
    assert cleared["Location"] == "/clinic/?sort=name"
    assert aaron.email in after
    assert 'value=""' in after


def test_the_filter_form_puts_only_the_filters_that_name_no_one_in_the_url(
    alice: User, bob: User, alice_team: object
) -> None:
    client = client_for(bob)

    posted = client.post(
        "/clinic/", {"q": "alice", "flagged": "1", "not_logging": "1", "sort": "bogus"}
    )
    emptied = client.post("/clinic/", {"q": "   ", "sort": "kratom"})

    assert posted["Location"] == "/clinic/?sort=urgency&flagged=1&not_logging=1"
    assert emptied["Location"] == "/clinic/?sort=kratom"
    assert "triage_search" not in client.session


def test_a_search_left_in_the_query_string_is_ignored(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    page = client_for(bob).get("/clinic/?q=alice").content.decode()

    assert "alice@example.org" in page
    assert "erin@example.org" in page
    assert 'value=""' in page


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


def assert_constant_queries(fetch: Callable[[], Any], riverside: Clinic, bob: User) -> str:
    """The same queries for 1 patient as for 500, whether the kept triage summaries are all
    new (computed first) or current (read only); returns the last answer's body."""
    fetch()  # warm the session and first-request caches
    bulk_patients(clinician=bob, clinic=riverside, count=1)
    with CaptureQueriesContext(connection) as computing_one:
        assert fetch().status_code == 200
    with CaptureQueriesContext(connection) as reading_one:
        assert fetch().status_code == 200
    assert len(reading_one) < len(computing_one)

    bulk_patients(clinician=bob, clinic=riverside, count=499, start=1)
    with CaptureQueriesContext(connection) as computing_500:
        fetch()
    with CaptureQueriesContext(connection) as reading_500:
        response = fetch()
    assert len(computing_500) == len(computing_one)
    assert len(reading_500) == len(reading_one)
    return str(response.content.decode())


def test_the_page_takes_the_same_queries_for_one_or_500_patients(
    riverside: Clinic, bob: User
) -> None:
    client = client_for(bob)
    page = assert_constant_queries(lambda: client.get("/clinic/"), riverside, bob)
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
    client = client_for(bob)
    body = assert_constant_queries(lambda: client.get("/api/v1/patients/"), riverside, bob)
    assert json.loads(body)["count"] == 500


def test_the_api_search_takes_the_same_queries_for_one_or_500_patients(
    riverside: Clinic, bob: User
) -> None:
    client = client_for(bob)
    body = assert_constant_queries(
        lambda: client.post(SEARCH, {"search": "BULK", "ordering": "name"}, format="json"),
        riverside,
        bob,
    )
    assert json.loads(body)["count"] == 500


def test_the_api_search_takes_the_term_and_the_filters_in_the_body(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    flag(erin)
    client = client_for(bob)

    by_name = client.post(SEARCH, {"search": "aLiCe"}, format="json").json()
    by_email = client.post(SEARCH, {"search": "@EXAMPLE", "flagged": True}, format="json").json()
    everyone = client.post(SEARCH, {"ordering": "name"}, format="json").json()

    assert [p["email"] for p in by_name["results"]] == ["alice@example.org"]
    assert by_name["results"][0].keys() >= TRIAGE_FIELDS
    assert [p["email"] for p in by_email["results"]] == ["erin@example.org"]
    assert [p["email"] for p in everyone["results"]] == ["alice@example.org", "erin@example.org"]
    assert AuditEvent.objects.filter(actor=bob, object_type="patient").count() == 1 + 1 + 2


def test_the_api_search_pages_with_links_that_hold_no_term(riverside: Clinic, bob: User) -> None:
    bulk_patients(clinician=bob, clinic=riverside, count=60)
    team(riverside, bob, "Aaron")
    client = client_for(bob)
    body = {"search": "bulk", "ordering": "name"}

    first = client.post(SEARCH, body, format="json").json()
    second = client.post(first["next"], body, format="json").json()

    assert first["count"] == 60
    assert first["next"] == "http://testserver/api/v1/patients/search/?page=2"
    assert [p["email"] for p in second["results"]] == [
        f"bulk{i}@example.org" for i in range(50, 60)
    ]
    assert second["previous"] == "http://testserver/api/v1/patients/search/"


def test_a_search_in_the_list_url_is_400_and_reads_no_one(
    alice: User, bob: User, alice_team: object
) -> None:
    response = client_for(bob).get("/api/v1/patients/?search=alice")

    assert response.status_code == 400
    assert "POST /api/v1/patients/search/" in response.json()["search"][0]
    assert not AuditEvent.objects.filter(actor=bob, action="view").exists()


@pytest.mark.parametrize(
    "body",
    [{"search": "x" * 101}, {"ordering": "email"}, {"flagged": "maybe"}, {"search": ["a"]}],
    ids=["too-long", "ordering", "flagged", "not-text"],
)
def test_a_bad_search_body_is_400_and_reads_no_one(
    alice: User, bob: User, alice_team: object, body: dict[str, Any]
) -> None:
    response = client_for(bob).post(SEARCH, body, format="json")

    assert response.status_code == 400
    assert response.json().keys() == body.keys()
    assert not AuditEvent.objects.filter(actor=bob, action="view").exists()


def test_the_schema_describes_the_triage_fields_and_parameters(bob: User) -> None:
    schema = client_for(bob).get("/api/v1/schema/?format=json").json()

    listed = schema["paths"]["/api/v1/patients/"]["get"]
    search = schema["paths"]["/api/v1/patients/search/"]["post"]
    body = search["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert {p["name"] for p in listed["parameters"]} >= {"flagged", "ordering", "page"}
    assert "search" not in {p["name"] for p in listed["parameters"]}
    assert {p["name"] for p in search["parameters"]} == {"page", "page_size"}
    assert schema["components"]["schemas"][body]["properties"].keys() == {
        "flagged",
        "ordering",
        "search",
    }
    triage = schema["components"]["schemas"]["PatientTriage"]["properties"]
    assert triage.keys() >= TRIAGE_FIELDS
