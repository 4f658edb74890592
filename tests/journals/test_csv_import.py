"""CSV import: all or nothing, errors by row and column, re-import creates nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from journals.interop.csv_io import IMPORT_MAX_BYTES, ImportInvalid, csv_import
from journals.models import PainEntry, SleepEntry, UseEntry
from patients.models import AuditAction, AuditEvent
from tests.conftest import client_for
from tests.factories import PainEntryFactory, SleepEntryFactory, UseEntryFactory
from tests.journals.helpers import local, sleep_times

pytestmark = pytest.mark.usefixtures("frozen_now")

USE_HEADER = "taken_at,substance,amount,unit,form,mixed_with,product,reason,note"


def api_url(kind: str) -> str:
    return f"/api/v1/me/import/{kind}.csv"


def upload(text: str | bytes, name: str = "diary.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post_api(client, kind: str, text: str | bytes):
    return client.post(api_url(kind), {"file": upload(text)}, format="multipart")


def export(client, kind: str) -> str:
    response = client.get(f"/api/v1/me/export/{kind}.csv")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_a_hand_made_diary_is_imported(alice):
    text = (
        f"{USE_HEADER}\n"
        "2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,warm_water,Red Bali,pain,\n"
        "2026-03-30T22:00:00+02:00,alcohol,2,standard_drink,liquid,,,,a glass of wine\n"
    )

    response = post_api(client_for(alice), "use", text)

    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 2, "unchanged": 0}
    kratom = UseEntry.objects.get(patient=alice, substance="kratom")
    assert kratom.taken_at == local(date(2026, 3, 30), 21)
    assert (kratom.amount, kratom.mixed_with, kratom.product) == (
        Decimal("3.5"),
        "warm_water",
        "Red Bali",
    )
    wine = UseEntry.objects.get(patient=alice, substance="alcohol")
    assert (wine.mixed_with, wine.note) == ("none", "a glass of wine")


def test_the_same_hand_made_file_twice_creates_nothing_new(alice):
    text = f"{USE_HEADER}\n2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,\n"
    client = client_for(alice)
    post_api(client, "use", text)

    again = post_api(client, "use", text)

    assert again.status_code == 201
    assert again.json() == {"created": 0, "unchanged": 1}
    assert UseEntry.objects.filter(patient=alice).count() == 1


@pytest.mark.parametrize("kind", ["pain", "peg", "sleep", "use"])
def test_reimporting_an_export_creates_nothing(alice, kind):
    day = date(2026, 3, 1)
    SleepEntryFactory(patient=alice, night_of=day, **sleep_times(day))
    PainEntryFactory(patient=alice, recorded_at=local(day, 9), note="=1+1 is not a formula")
    UseEntryFactory(patient=alice, taken_at=local(day, 21), product="-Red-")
    client = client_for(alice)
    client.post(
        "/api/v1/peg-assessments/",
        {
            "recorded_at": local(day, 20).isoformat(),
            "pain_average": 5,
            "enjoyment_interference": 4,
            "activity_interference": 3,
        },
        format="json",
    )
    text = export(client, kind)

    response = post_api(client, kind, text)

    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 0, "unchanged": 1}


def test_an_export_imported_after_deleting_an_entry_brings_it_back_with_its_id(alice):
    client = client_for(alice)
    entry = PainEntryFactory(patient=alice, note="@home", locations=["neck", "knees"])
    text = export(client, "pain")
    entry_id, recorded_at = entry.pk, entry.recorded_at
    entry.delete()

    response = post_api(client, "pain", text)

    assert response.json() == {"created": 1, "unchanged": 0}
    back = PainEntry.objects.get(pk=entry_id)
    assert back.note == "@home"  # the export's leading quote is taken off again
    assert back.locations == ["neck", "knees"]
    assert back.recorded_at == recorded_at


def test_one_bad_row_and_nothing_is_saved_with_errors_by_row_and_column(alice):
    text = (
        "recorded_at,intensity,locations\n"
        "2026-03-30T09:00:00+02:00,4,neck\n"
        "2026-03-30T10:00:00+02:00,11,neck\n"
        "2026-03-30T11:00:00,4,elbow\n"
        "2030-01-01T09:00:00+01:00,4,\n"
    )

    response = post_api(client_for(alice), "pain", text)

    assert response.status_code == 400
    errors = {(e["row"], e["column"]): e["errors"] for e in response.json()["rows"]}
    assert set(errors) == {
        (3, "intensity"),
        (4, "recorded_at"),
        (4, "locations"),
        (5, "recorded_at"),
    }
    assert "10" in errors[3, "intensity"][0]
    assert errors[4, "recorded_at"] == [
        "Give the time with its UTC offset, e.g. 2026-03-01T21:30:00+01:00."
    ]
    assert errors[5, "recorded_at"] == ["This time is in the future."]
    assert PainEntry.objects.count() == 0


def test_domain_rules_apply_as_in_the_api(alice):
    text = (
        f"{USE_HEADER}\n"
        "2026-03-30T21:00:00+02:00,kratom,60,g,powder,,,,\n"
        "2026-03-30T21:00:00+02:00,alcohol,2,mg,liquid,,,,\n"
    )

    response = post_api(client_for(alice), "use", text)

    assert response.status_code == 400
    rows = {e["row"]: e for e in response.json()["rows"]}
    assert set(rows) == {2, 3}
    assert rows[2]["column"] == "amount"
    assert rows[3]["column"] == "unit"
    assert UseEntry.objects.count() == 0


def test_two_sleep_diaries_for_one_night_are_refused_and_nothing_is_saved(alice):
    day = date(2026, 3, 1)
    times = {k: v.isoformat() for k, v in sleep_times(day).items()}
    line = (
        f"{day},{times['bedtime']},{times['lights_out_at']},20,2,40,"
        f"{times['final_wake_at']},{times['rise_at']},3"
    )
    header = (
        "night_of,bedtime,lights_out_at,sleep_onset_latency_min,awakenings,"
        "wake_after_sleep_onset_min,final_wake_at,rise_at,quality"
    )
    text = f"{header}\n{line}\n{line.replace(',3', ',4')}\n"

    response = post_api(client_for(alice), "sleep", text)

    assert response.status_code == 400
    assert response.json()["rows"] == [
        {
            "row": 3,
            "column": "night_of",
            "errors": [
                "There is already a sleep diary for the night of Sunday 1 March: "
                "change that diary instead of adding another."
            ],
        }
    ]
    assert SleepEntry.objects.count() == 0


def test_an_id_of_someone_elses_entry_is_an_error(alice, erin):
    theirs = UseEntryFactory(patient=erin)
    text = f"id,{USE_HEADER}\n{theirs.pk},2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,\n"

    response = post_api(client_for(alice), "use", text)

    assert response.status_code == 400
    assert response.json()["rows"] == [
        {"row": 2, "column": "id", "errors": ["This id is already in use."]}
    ]
    assert UseEntry.objects.filter(patient=alice).count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("taken_at,substance,dose\n", "Unknown column: dose."),
        ("taken_at,substance\n", "Missing column: amount, unit, form."),
        ("amount,amount,taken_at,substance,unit,form\n", "Repeated column: amount."),
    ],
)
def test_a_wrong_file_is_a_400_naming_the_problem(alice, text, message):
    response = post_api(client_for(alice), "use", text)

    assert response.status_code == 400
    assert any(message in problem for problem in response.json()["file"]), response.json()


def test_a_file_that_is_not_utf8_is_refused(alice):
    response = post_api(client_for(alice), "use", f"{USE_HEADER}\nKr\xe4uter".encode("latin-1"))

    assert response.status_code == 400
    assert "UTF-8" in response.json()["file"][0]


def test_a_file_over_the_limit_is_refused(alice):
    text = USE_HEADER + "\n" + "x" * IMPORT_MAX_BYTES

    response = post_api(client_for(alice), "use", text)

    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 200 KB; split it."]}
    assert UseEntry.objects.count() == 0


def test_a_file_with_a_nul_byte_is_refused(alice):
    text = f"{USE_HEADER}\n2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,a\x00b\n"

    response = post_api(client_for(alice), "use", text)

    assert response.status_code == 400
    assert response.json() == {"file": ["The file is not a text file."]}


def test_a_byte_order_mark_from_a_spreadsheet_is_fine(alice):
    text = f"\ufeff{USE_HEADER}\n2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,\n"

    assert post_api(client_for(alice), "use", text.encode()).status_code == 201


def test_a_row_with_the_wrong_number_of_cells_is_named(alice):
    text = f"{USE_HEADER}\n2026-03-30T21:00:00+02:00,kratom,3.5\n"

    response = post_api(client_for(alice), "use", text)

    assert response.json()["rows"] == [
        {"row": 2, "column": None, "errors": ["3 cells for 9 columns"]}
    ]


def test_without_a_file_the_api_says_so(alice):
    response = client_for(alice).post(api_url("use"), {}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"file": ["Upload the CSV file as `file`."]}


def test_an_unknown_kind_is_404(alice):
    assert post_api(client_for(alice), "flags", USE_HEADER).status_code == 404


def test_a_clinician_cannot_import(bob):
    assert post_api(client_for(bob), "use", USE_HEADER).status_code == 403


def test_each_imported_entry_is_audited_as_created(alice):
    text = f"{USE_HEADER}\n2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,\n"

    post_api(client_for(alice), "use", text)

    entry = UseEntry.objects.get(patient=alice)
    events = AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(entry.pk))
    assert events.count() == 1


def test_two_identical_rows_without_id_are_one_entry(alice):
    line = "2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,"

    result = csv_import(patient=alice, kind="use", text=f"{USE_HEADER}\n{line}\n{line}\n")

    assert (result.created, result.unchanged) == (1, 1)


def test_the_service_raises_with_every_row_listed(alice):
    text = (
        f"{USE_HEADER}\nnot a time,kratom,3.5,g,powder,,,,\n,alcohol,x,standard_drink,liquid,,,,\n"
    )

    with pytest.raises(ImportInvalid) as caught:
        csv_import(patient=alice, kind="use", text=text)

    found = {(e.row, e.column) for e in caught.value.row_errors}
    assert found == {(2, "taken_at"), (3, "taken_at"), (3, "amount")}


# The page


def test_the_import_page_shows_a_form(alice):
    page = client_for(alice).get("/history/import/")

    assert page.status_code == 200
    content = page.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert 'name="kind"' in content


def test_the_page_imports_a_file_and_says_so(alice):
    text = f"{USE_HEADER}\n2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,\n"
    client = client_for(alice)

    response = client.post("/history/import/", {"kind": "use", "file": upload(text)})

    assert response.status_code == 302
    assert response["Location"] == "/history/"
    assert UseEntry.objects.filter(patient=alice).count() == 1
    page = client.get("/history/").content.decode()
    assert "Imported 1 entry; 0 were already in your journal." in page


def test_the_page_lists_errors_by_row_and_column_and_saves_nothing(alice):
    text = (
        f"{USE_HEADER}\n"
        "2026-03-30T21:00:00+02:00,kratom,3.5,g,powder,,,,\n"
        "2026-03-30T21:00:00+02:00,kratom,60,g,powder,,,,\n"
    )

    response = client_for(alice).post("/history/import/", {"kind": "use", "file": upload(text)})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing was imported" in content
    assert "<td>3</td><td><code>amount</code></td>" in content
    assert UseEntry.objects.count() == 0


def test_the_page_names_a_wrong_header(alice):
    response = client_for(alice).post(
        "/history/import/", {"kind": "pain", "file": upload(f"{USE_HEADER}\n")}
    )

    assert response.status_code == 200
    assert "Unknown column: taken_at, substance" in response.content.decode()


def test_a_seed_demo_patients_exports_reimport_as_unchanged(db, frozen_now):
    from patients.demo import PERSONAS, demo_seed
    from patients.models import User

    demo_seed(now=frozen_now)
    patient = User.objects.get(email=PERSONAS[0].email)
    client = client_for(patient)

    for kind in ("pain", "peg", "sleep", "use"):
        text = export(client, kind)
        rows = text.count("\r\n") - 1
        assert rows > 0, kind
        response = post_api(client, kind, text)
        assert response.status_code == 201, response.json()
        assert response.json() == {"created": 0, "unchanged": rows}
