"""The audit log in the admin (issue 6): read-only, scoped to the staff member's clinic,
exported as CSV."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission

from patients.admin import _csv_cell
from patients.models import AuditAction, AuditEvent, User
from tests.conftest import client_for
from tests.factories import ClinicianFactory, PatientFactory

CHANGELIST = "/admin/patients/auditevent/"


@pytest.fixture
def riverside_staff(riverside) -> User:
    staff = ClinicianFactory(email="admin@riverside.example", clinic=riverside, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return staff


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root@example.org", "a long root password 1")


@pytest.fixture
def events(alice, bob, dave, hillside) -> dict[str, AuditEvent]:
    hank = PatientFactory(email="hank@example.org", clinic=hillside)
    return {
        "riverside": AuditEvent.objects.create(
            actor=bob,
            patient=alice,
            action=AuditAction.UPDATE,
            object_type="painentry",
            object_id="entry-1",
            before={"intensity": 7},
            after={"intensity": 3},
            request_id="req-riverside",
            ip_address="10.0.0.1",
        ),
        "hillside": AuditEvent.objects.create(
            actor=dave, patient=hank, action=AuditAction.VIEW, request_id="req-hillside"
        ),
        "unknown": AuditEvent.objects.create(
            action=AuditAction.SIGN_IN_FAILED, request_id="req-unknown"
        ),
    }


def export(user: User, selected: list[int] | None = None) -> tuple[list[dict[str, str]], str]:
    """The admin's action on the selected ids, or on all in scope ("select all")."""
    ids = [str(pk) for pk in selected or AuditEvent.objects.values_list("pk", flat=True)]
    response = client_for(user).post(
        CHANGELIST,
        {
            "action": "export_csv",
            "select_across": "0" if selected else "1",
            "index": "0",
            "_selected_action": ids,
        },
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    # Leave out the exporter's own sign-in (also an event of the clinic).
    return [row for row in rows if row["actor_id"] != str(user.pk)], text


def test_clinic_staff_export_only_their_clinics_events(riverside_staff, events):
    rows, _ = export(riverside_staff)

    assert [row["request_id"] for row in rows] == ["req-riverside"]
    assert rows[0]["action"] == "update"
    assert rows[0]["actor__role"] == "clinician"
    assert rows[0]["ip_address"] == "10.0.0.1"


def test_an_id_of_another_clinic_slipped_into_the_selection_is_not_exported(
    riverside_staff, events
):
    rows, _ = export(riverside_staff, selected=[e.pk for e in events.values()])

    assert [row["request_id"] for row in rows] == ["req-riverside"]


def test_the_export_leaves_out_the_health_data_of_before_and_after(riverside_staff, events):
    _, text = export(riverside_staff)

    assert "intensity" not in text
    assert text.splitlines()[0] == (
        "at,action,actor_id,actor__role,patient_id,object_type,object_id,ip_address,request_id"
    )


def test_a_superuser_exports_every_event(superuser, events):
    rows, _ = export(superuser)

    assert {row["request_id"] for row in rows} == {"req-riverside", "req-hillside", "req-unknown"}


def test_an_export_is_itself_an_audit_event(riverside_staff, events):
    export(riverside_staff)

    exported = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (exported.actor, exported.patient) == (riverside_staff, None)
    assert exported.after == {"rows": 2}  # alice's event and the staff member's sign-in


def test_clinic_staff_list_and_open_only_their_clinics_events(riverside_staff, events):
    client = client_for(riverside_staff)

    listing = client.get(CHANGELIST).content.decode()
    mine = client.get(f"{CHANGELIST}{events['riverside'].pk}/change/")
    theirs = client.get(f"{CHANGELIST}{events['hillside'].pk}/change/")

    assert "entry-1" in listing
    assert "req-hillside" not in listing
    assert mine.status_code == 200
    assert "intensity" not in mine.content.decode()
    assert theirs.status_code == 302  # the admin's "does not exist" answer


def test_nobody_adds_changes_or_deletes_an_event_in_the_admin(superuser, events):
    client = client_for(superuser)
    pk = events["riverside"].pk

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{pk}/delete/").status_code == 403
    client.post(f"{CHANGELIST}{pk}/change/", {"object_type": "nothing"})
    assert AuditEvent.objects.get(pk=pk).object_type == "painentry"
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()


def test_staff_without_the_view_permission_see_nothing(riverside, events):
    staff = ClinicianFactory(clinic=riverside, is_staff=True)

    assert client_for(staff).get(CHANGELIST).status_code == 403


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=HYPERLINK()", "'=HYPERLINK()"), ("+1", "'+1"), ("@x", "'@x"), ("ok", "ok"), (None, "")],
)
def test_a_cell_never_starts_a_spreadsheet_formula(value, cell):
    assert _csv_cell(value) == cell
