"""CSV export: the API's columns, times with the patient's offset, streamed, escaped, scoped."""

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journals.interop.csv_io import escape_formula
from patients.models import AuditAction, AuditEvent
from tests.conftest import client_for
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.journals.helpers import local, sleep_times

pytestmark = pytest.mark.usefixtures("frozen_now")

KINDS = ("pain", "peg", "sleep", "use")
HEADERS = {
    "pain": "id,patient,note,created_at,updated_at,recorded_at,intensity,locations",
    "peg": "id,patient,note,created_at,updated_at,recorded_at,pain_average,"
    "enjoyment_interference,activity_interference,score",
    "sleep": "id,patient,note,created_at,updated_at,night_of,bedtime,lights_out_at,"
    "sleep_onset_latency_min,awakenings,wake_after_sleep_onset_min,final_wake_at,rise_at,"
    "quality,time_in_bed_min,total_sleep_min,sleep_efficiency_pct",
    "use": "id,patient,note,created_at,updated_at,taken_at,substance,amount,unit,form,"
    "mixed_with,product,reason",
}


def me(kind: str) -> str:
    return f"/api/v1/me/export/{kind}.csv"


def of_patient(patient, kind: str) -> str:
    return f"/api/v1/patients/{patient.pk}/export/{kind}.csv"


def read(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def header(response) -> str:
    return b"".join(response.streaming_content).decode().split("\r\n")[0]


def add_day(patient, day: date) -> None:
    PainEntryFactory(patient=patient, recorded_at=local(day, 9))
    PegAssessmentFactory(patient=patient, recorded_at=local(day, 9))
    SleepEntryFactory(patient=patient, night_of=day)
    UseEntryFactory(patient=patient, taken_at=local(day, 9))


@pytest.mark.parametrize("kind", KINDS)
def test_columns_are_named_as_the_api_fields(alice, kind):
    response = client_for(alice).get(me(kind))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert header(response) == HEADERS[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_the_columns_match_the_api_fields_of_an_entry(alice, kind):
    add_day(alice, date(2026, 3, 1))
    api = {"pain": "pain-entries", "peg": "peg-assessments", "sleep": "sleep-entries"}
    listed = client_for(alice).get(f"/api/v1/{api.get(kind, 'use-entries')}/").json()

    assert HEADERS[kind].split(",") == list(listed["results"][0])


def test_times_are_iso_8601_with_the_patients_offset(alice):
    day = date(2026, 3, 1)  # winter: Berlin is +01:00
    entry = SleepEntryFactory(patient=alice, night_of=day, **sleep_times(day))
    use = UseEntryFactory(patient=alice, taken_at=local(date(2026, 3, 30), 21))  # summer

    [sleep_row] = read(client_for(alice).get(me("sleep")))
    [use_row] = read(client_for(alice).get(me("use")))

    assert sleep_row["bedtime"] == "2026-03-01T22:30:00+01:00"
    assert datetime.fromisoformat(sleep_row["rise_at"]) == entry.rise_at
    assert sleep_row["night_of"] == "2026-03-01"
    assert sleep_row["created_at"].endswith("+02:00")  # the frozen clock, 2 April
    assert use_row["taken_at"] == "2026-03-30T21:00:00+02:00"
    assert use_row["id"] == str(use.pk)
    assert use_row["patient"] == str(alice.pk)


def test_values_are_written_as_the_api_gives_them(alice):
    PainEntryFactory(patient=alice, intensity=7, locations=["lower_back", "knees"])
    PegAssessmentFactory(
        patient=alice, pain_average=7, enjoyment_interference=5, activity_interference=4
    )
    UseEntryFactory(patient=alice, amount=Decimal("2.500"), reason="")
    client = client_for(alice)

    [pain] = read(client.get(me("pain")))
    [peg] = read(client.get(me("peg")))
    [use] = read(client.get(me("use")))

    assert (pain["intensity"], pain["locations"]) == ("7", "lower_back;knees")
    assert peg["score"] == "5.3"
    assert (use["amount"], use["reason"]) == ("2.5", "")


def test_rows_come_oldest_first_and_only_the_patients_own(alice, erin):
    newer = PainEntryFactory(patient=alice, recorded_at=local(date(2026, 3, 2), 9))
    older = PainEntryFactory(patient=alice, recorded_at=local(date(2026, 3, 1), 9))
    PainEntryFactory(patient=erin)

    rows = read(client_for(alice).get(me("pain")))

    assert [row["id"] for row in rows] == [str(older.pk), str(newer.pk)]


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"],
)
def test_a_cell_that_starts_like_a_formula_gets_a_leading_quote(alice, text):
    UseEntryFactory(patient=alice, product=text[:200], note=text)

    [row] = read(client_for(alice).get(me("use")))

    assert row["note"] == "'" + text
    assert row["product"] == "'" + text


def test_ordinary_text_is_not_escaped():
    assert escape_formula("Red Bali") == "Red Bali"
    assert escape_formula("2 cups, no = sign first") == "2 cups, no = sign first"


def test_the_response_is_streamed_from_a_generator(alice):
    PainEntryFactory(patient=alice)

    response = client_for(alice).get(me("pain"))

    assert response.streaming
    assert isinstance(response.streaming_content, Iterator)
    assert not isinstance(response.streaming_content, list | tuple)
    assert response["Content-Disposition"] == 'attachment; filename="mitra-pain-2026-04-02.csv"'


@pytest.mark.parametrize("kind", KINDS)
def test_the_export_runs_the_same_queries_for_30_entries_as_for_1(alice, bob, alice_team, kind):
    def queries(user, url) -> int:
        client = client_for(user)
        with CaptureQueriesContext(connection) as context:
            read(client.get(url))
        return len(context.captured_queries)

    add_day(alice, date(2026, 1, 1))
    few = (queries(alice, me(kind)), queries(bob, of_patient(alice, kind)))
    for offset in range(1, 30):
        add_day(alice, date(2026, 1, 1) + timedelta(days=offset))
    many = (queries(alice, me(kind)), queries(bob, of_patient(alice, kind)))

    assert many == few


def test_since_and_until_filter_on_local_dates(alice):
    PainEntryFactory(patient=alice, recorded_at=local(date(2026, 3, 31), 23, 30))
    early = PainEntryFactory(patient=alice, recorded_at=local(date(2026, 4, 1), 0, 30))

    rows = read(client_for(alice).get(me("pain"), {"since": "2026-04-01"}))

    assert [row["id"] for row in rows] == [str(early.pk)]


def test_a_bad_date_is_a_400_in_json(alice):
    response = client_for(alice).get(me("pain"), {"until": "31.03.2026"}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "until" in response.json()


@pytest.mark.parametrize("url", ["/api/v1/me/export/flags.csv", "/history/export/flags.csv"])
def test_an_unknown_kind_is_404(alice, url):
    assert client_for(alice).get(url).status_code == 404


def test_the_clinician_exports_a_patient_and_it_is_audited(alice, bob, alice_team):
    entry = UseEntryFactory(patient=alice)

    rows = read(client_for(bob).get(of_patient(alice, "use")))

    assert [row["id"] for row in rows] == [str(entry.pk)]
    events = AuditEvent.objects.filter(actor=bob, patient=alice, object_type="export_csv")
    assert list(events.values_list("action", flat=True)) == [AuditAction.EXPORT]


@pytest.mark.parametrize("who", ["carol", "dave"])
def test_a_clinician_outside_the_care_team_gets_404(alice, alice_team, who, request):
    UseEntryFactory(patient=alice)
    client = client_for(request.getfixturevalue(who))

    assert client.get(of_patient(alice, "use")).status_code == 404
    page = f"/clinic/patients/{alice.pk}/export/use.csv"
    assert client.get(page).status_code == 404


def test_the_history_page_links_to_the_downloads_and_they_work(alice):
    entry = PainEntryFactory(patient=alice)
    client = client_for(alice)

    page = client.get("/history/").content.decode()
    rows = read(client.get("/history/export/pain.csv"))

    for kind in KINDS:
        assert f'href="/history/export/{kind}.csv"' in page
    assert 'href="/history/import/"' in page
    assert [row["id"] for row in rows] == [str(entry.pk)]


def test_the_clinicians_patient_page_links_to_the_downloads_and_they_work(alice, bob, alice_team):
    entry = SleepEntryFactory(patient=alice)
    client = client_for(bob)

    page = client.get(f"/clinic/patients/{alice.pk}/").content.decode()
    response = client.get(f"/clinic/patients/{alice.pk}/export/sleep.csv")

    assert f'href="/clinic/patients/{alice.pk}/export/sleep.csv"' in page
    assert [row["id"] for row in read(response)] == [str(entry.pk)]
    assert AuditEvent.objects.filter(actor=bob, object_type="export_csv").count() == 1
