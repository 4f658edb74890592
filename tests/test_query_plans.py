"""The main pages and endpoints read the journals through indexes (issue #8).

The module loads the benchmark's data shape at a small scale (``bench.data``: 200 patients
with a year of journals each, about 300,000 rows, then ``ANALYZE``), requests each main
route as the person who uses it, and asks PostgreSQL for the plan of every ``SELECT`` the
request ran (psycopg 3 hands Django the query with its parameters in place). A sequential
scan of a ``journals_`` table that holds rows fails the test, naming the route and the query.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import data as bench_data
from journals.models import PainEntry
from patients.models import User
from patients.permissions import patients_visible_to
from tests.conftest import client_for
from tests.journals.helpers import NOW

SCALE = bench_data.Scale(patients=200, days=365)
JOURNAL_PREFIX = "journals_"
ENTRY_APIS = ("pain-entries", "sleep-entries", "use-entries", "peg-assessments")
CSV_KINDS = ("pain", "sleep", "use", "peg")
SINCE = f"?since={(NOW - timedelta(days=30)).date()}&until={(NOW - timedelta(days=1)).date()}"


@dataclass(frozen=True)
class People:
    """Ids, so that each test reads the people afresh: nothing cached between requests."""

    patient: uuid.UUID
    clinician: uuid.UUID  # on the care team of every patient of their clinic (40 here)
    their_patient: uuid.UUID


@pytest.fixture(scope="module")
def people(django_db_setup: None, django_db_blocker: Any) -> Iterator[People]:
    """The benchmark's data, committed once for the module and emptied after it, so the
    other modules find the database as empty as ever. Each test runs in a transaction of
    its own (``django_db``) that rolls back what its requests write."""
    try:
        with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
            bench_data.load(SCALE, today=NOW.date())
            clinician = User.objects.get(email=bench_data.clinician_email(1, 1))
            caseload = patients_visible_to(clinician).order_by("email")
            assert caseload.count() == SCALE.patients // SCALE.clinics
            their_patient = caseload.first()
            assert their_patient is not None
            patient = User.objects.get(email=bench_data.patient_email(1))
        yield People(patient=patient.pk, clinician=clinician.pk, their_patient=their_patient.pk)
    finally:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE patients_user, patients_clinic CASCADE")


def signed_in(user_id: uuid.UUID) -> Any:
    return client_for(User.objects.get(pk=user_id))


def scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(node type, table) of every table a plan reads, at any depth."""
    found = [(plan["Node Type"], plan["Relation Name"])] if "Relation Name" in plan else []
    for child in plan.get("Plans", []):
        found.extend(scans(child))
    return found


def journal_scans(sql: str) -> list[tuple[str, str]]:
    """How the query's plan reads each journal table that held rows at the last ANALYZE.

    A table the benchmark leaves empty (thresholds, reminder settings, deliveries, triage
    summaries) is left out: PostgreSQL reads an empty table whole rather than open an
    index, whatever the query, so its plan says nothing about the query.
    ``test_only_the_tables_the_benchmark_leaves_empty_are_left_out`` keeps that list honest.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (plans,) = cursor.fetchone()
    empty = empty_journal_tables()
    return [
        (node, table)
        for node, table in scans(plans[0]["Plan"])
        if table.startswith(JOURNAL_PREFIX) and table not in empty
    ]


def journal_seq_scans(sql: str) -> list[str]:
    return [table for node, table in journal_scans(sql) if node == "Seq Scan"]


# A chunked read (``QuerySet.iterator()``, the CSV exports) runs in a server-side cursor.
DECLARE_CURSOR = re.compile(r'^DECLARE "[^"]+" .*?CURSOR (?:WITH(?:OUT)? HOLD )?FOR ', re.S)


def explainable(sql: str) -> str | None:
    """The read a captured statement runs (a cursor's declaration reads its query), or None
    for anything else: savepoints, writes."""
    sql = DECLARE_CURSOR.sub("", sql.strip())
    return sql if re.match(r"^\(*\s*(SELECT|WITH)\b", sql, re.I) else None


def empty_journal_tables() -> set[str]:
    """Journal tables that held no rows at the last ``ANALYZE`` (-1: never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s"
            " AND reltuples <= 0",
            [JOURNAL_PREFIX + "%"],
        )
        return {name for (name,) in cursor.fetchall()}


def sql_of(queryset: Any) -> str:
    """The SQL a queryset sends, parameters in place, as the checker sees requests'."""
    with CaptureQueriesContext(connection) as queries:
        list(queryset)
    (query,) = queries.captured_queries
    return query["sql"]


def reads_of(client: Any, url: str) -> list[str]:
    """The reads a GET runs, its streamed body read too."""
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return [sql for q in queries.captured_queries if (sql := explainable(q["sql"]))]


def assert_no_journal_seq_scan(client: Any, url: str) -> None:
    read, found = set(), {}
    for sql in reads_of(client, url):
        scanned = journal_scans(sql)
        read.update(table for _, table in scanned)
        if seq := [table for node, table in scanned if node == "Seq Scan"]:
            found[sql] = seq
    assert read, f"{url}: no journal table read, so nothing was checked"
    assert found == {}, f"{url}: sequential scans of journal tables\n" + "\n".join(
        f"- {tables}: {sql}" for sql, tables in found.items()
    )


@pytest.mark.django_db
def test_the_checker_finds_a_sequential_scan(people: People) -> None:
    """No index has the note: the whole pain table is read."""
    notes = PainEntry.objects.filter(note="Worse after gardening.")
    assert journal_seq_scans(sql_of(notes)) == ["journals_painentry"]


@pytest.mark.django_db
def test_the_checker_passes_an_index_scan(people: People) -> None:
    latest = PainEntry.objects.filter(patient_id=people.patient).order_by("-recorded_at")[:10]
    assert journal_seq_scans(sql_of(latest)) == []


@pytest.mark.django_db
def test_the_checker_reads_a_chunked_export_too(people: People) -> None:
    """An export's server-side cursor is captured as its declaration."""
    with CaptureQueriesContext(connection) as queries:
        list(PainEntry.objects.filter(note="x").iterator(chunk_size=10))
    (declared,) = [q["sql"] for q in queries.captured_queries if "CURSOR" in q["sql"]]
    assert journal_seq_scans(explainable(declared) or "") == ["journals_painentry"]


def test_writes_and_savepoints_are_not_explained() -> None:
    assert explainable('SAVEPOINT "s1"') is None
    assert explainable('INSERT INTO "patients_auditevent" ("at") VALUES (now())') is None
    assert explainable("(SELECT 1) UNION ALL (SELECT 2)") == "(SELECT 1) UNION ALL (SELECT 2)"


@pytest.mark.django_db
def test_only_the_tables_the_benchmark_leaves_empty_are_left_out(people: People) -> None:
    """Should the benchmark fill one of these, its reads are judged too: take it out."""
    assert empty_journal_tables() == {
        "journals_clinicthresholds",
        "journals_patientthresholds",
        "journals_remindersettings",
        "journals_delivery",
        "journals_triagesummary",  # kept by the first triage read after a change
    }


PATIENT_URLS = [
    *[f"/api/v1/{kind}/" for kind in ENTRY_APIS],
    *[f"/api/v1/{kind}/{SINCE}" for kind in ENTRY_APIS],
    "/today/",
    "/trends/",
    "/trends/?days=90",
    "/trends/summary/",
    "/history/",
    *[f"/history/export/{kind}.csv" for kind in CSV_KINDS],
    "/api/v1/me/export/use.csv",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PATIENT_URLS)
def test_a_patients_route_reads_the_journals_through_indexes(url: str, people: People) -> None:
    assert_no_journal_seq_scan(signed_in(people.patient), url)


CLINICIAN_URLS = [
    "/api/v1/patients/",
    "/clinic/",
    "/api/v1/flags/",
    "/api/v1/flags/?status=open",
    *[f"/api/v1/patients/{{patient}}/{kind}/" for kind in ENTRY_APIS],
    f"/api/v1/patients/{{patient}}/pain-entries/{SINCE}",
    "/clinic/patients/{patient}/",
    "/clinic/patients/{patient}/summary/",
    "/clinic/patients/{patient}/export/pain.csv",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", CLINICIAN_URLS)
def test_a_clinicians_route_reads_the_journals_through_indexes(url: str, people: People) -> None:
    """As the clinician of 40 patients; ``{patient}`` is one of them."""
    client = signed_in(people.clinician)
    assert_no_journal_seq_scan(client, url.format(patient=people.their_patient))
