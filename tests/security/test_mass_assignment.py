"""Mass assignment: fields a client must never set (owner, role, staff, clinic, timestamps,
another person's id) are ignored or refused on every writable endpoint, never applied; and
every answer carries only its serializer's allow-listed fields."""

import inspect
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers

from journals import serializers as journal_serializers
from journals.models import Flag, FlagStatus, PatientThresholds, ReminderSettings, Review, Rule
from patients import serializers as patient_serializers
from patients.models import CareTeamMembership, Clinic, Invitation, User
from tests.conftest import client_for
from tests.journals.helpers import KINDS, MODELS, make_entry, own_url, valid_body

LONG_AGO = "2000-01-01T00:00:00Z"
DAY = date(2026, 3, 1)


@pytest.fixture
def hostile(erin: User, carol: User, dave: User, hillside: Clinic) -> dict[str, Any]:
    """Everything an attacker might add to a body: other people's ids, privileges, a clinic."""
    return {
        "patient": str(erin.pk),
        "patient_id": str(erin.pk),
        "user": str(erin.pk),
        "owner": str(erin.pk),
        "clinician": str(dave.pk),
        "clinician_id": str(dave.pk),
        "acknowledged_by": str(carol.pk),
        "resolved_by": str(carol.pk),
        "updated_by": str(carol.pk),
        "accepted_by": str(erin.pk),
        "role": "clinician",
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "email": "mallory@example.org",
        "clinic": hillside.pk,
        "clinic_id": hillside.pk,
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
        "reviewed_at": LONG_AGO,
        "accepted_at": LONG_AGO,
        "expires_at": "2999-01-01T00:00:00Z",
        "sent_at": LONG_AGO,
        "consent_active": False,
        "consent_revoked_at": LONG_AGO,
        "status": FlagStatus.RESOLVED,
        "severity": "low",
        "rule": Rule.STOPPED_LOGGING,
        "password": "a-new-password-from-mallory",
    }


def privileges(user: User) -> tuple[Any, ...]:
    user.refresh_from_db()
    return (user.role, user.is_staff, user.is_superuser, user.is_active, user.email, user.clinic)


# Journal entries -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_creating_an_entry_ignores_owner_and_timestamps_sent_by_the_client(
    alice, erin, hostile, kind
):
    before = privileges(alice)
    body = {**hostile, **valid_body(kind)}

    response = client_for(alice).post(own_url(kind), body)

    assert response.status_code == 201, response.json()
    entry = MODELS[kind].objects.get()
    assert entry.patient == alice
    assert entry.created_at > datetime(2020, 1, 1, tzinfo=UTC)
    assert not MODELS[kind].objects.filter(patient=erin).exists()
    assert privileges(alice) == before
    assert response.json()["patient"] == str(alice.pk)


@pytest.mark.parametrize("kind", KINDS)
def test_changing_an_entry_ignores_owner_and_timestamps_sent_by_the_client(alice, hostile, kind):
    entry = make_entry(kind, alice, DAY)
    created_at = entry.created_at

    response = client_for(alice).patch(own_url(kind, entry.pk), {**hostile, "note": "ok"})

    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert (entry.patient, entry.created_at, entry.note) == (alice, created_at, "ok")


@pytest.mark.parametrize("kind", KINDS)
def test_an_entry_cannot_take_over_the_id_of_another_patients_entry(alice, erin, kind):
    theirs = make_entry(kind, erin, DAY)

    response = client_for(alice).post(own_url(kind), valid_body(kind, id=str(theirs.pk)))

    assert response.status_code == 409
    theirs.refresh_from_db()
    assert theirs.patient == erin
    assert MODELS[kind].objects.count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_an_entry_cannot_be_renamed_to_another_id(alice, erin, kind):
    mine, theirs = make_entry(kind, alice, DAY), make_entry(kind, erin, DAY)

    response = client_for(alice).patch(own_url(kind, mine.pk), {"id": str(theirs.pk)})

    assert response.status_code == 400
    assert set(MODELS[kind].objects.values_list("pk", "patient")) == {
        (mine.pk, alice.pk),
        (theirs.pk, erin.pk),
    }


# Reminder settings, /me ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_reminder_settings_change_only_the_callers_own(alice, erin, hostile, method):
    body = {
        **hostile,
        "evening_enabled": True,
        "evening_time": "20:30",
        "morning_enabled": False,
        "morning_time": "08:00",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }

    response = getattr(client_for(alice), method)("/api/v1/reminder-settings/", body)

    assert response.status_code == 200, response.json()
    assert ReminderSettings.objects.get(patient=alice).evening_time.strftime("%H:%M") == "20:30"
    assert not ReminderSettings.objects.filter(patient=erin).exists()


def test_updating_me_changes_only_the_name_and_zone(alice, hostile):
    before = privileges(alice)
    password = alice.password

    response = client_for(alice).patch(
        "/api/v1/me/",
        {**hostile, "id": "00000000-0000-0000-0000-000000000001", "display_name": "Al"},
    )

    assert response.status_code == 200, response.json()
    assert privileges(alice) == before
    assert alice.pk != "00000000-0000-0000-0000-000000000001"
    assert (alice.display_name, alice.password) == ("Al", password)


def test_a_clinician_cannot_make_themself_staff_through_me(bob, hostile):
    before = privileges(bob)

    response = client_for(bob).patch("/api/v1/me/", {**hostile, "display_name": "Dr B"})

    assert response.status_code == 200, response.json()
    assert privileges(bob) == before


# Clinician endpoints ---------------------------------------------------------------------


def test_thresholds_are_saved_for_the_patient_in_the_url_only(
    alice, erin, bob, alice_team, hostile
):
    response = client_for(bob).put(
        f"/api/v1/patients/{alice.pk}/thresholds/", {**hostile, "single_dose_g": "6.5"}
    )

    assert response.status_code == 200, response.json()
    overrides = PatientThresholds.objects.get()
    assert (overrides.patient, str(overrides.single_dose_g)) == (alice, "6.50")
    assert overrides.updated_by == bob


def test_a_review_belongs_to_the_patient_in_the_url_and_to_its_author(
    alice, erin, bob, alice_team, erin_team, hostile
):
    response = client_for(bob).post(
        f"/api/v1/patients/{alice.pk}/reviews/", {**hostile, "note": "Seen."}
    )

    assert response.status_code == 201, response.json()
    review = Review.objects.get()
    assert (review.patient, review.clinician, review.note) == (alice, bob, "Seen.")
    assert review.reviewed_at > datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "status"),
    [("acknowledge", FlagStatus.ACKNOWLEDGED), ("resolve", FlagStatus.RESOLVED)],
)
def test_a_flag_action_sets_only_what_the_action_means(
    alice, bob, alice_team, hostile, action, status
):
    today = timezone.localdate()
    flag = Flag.objects.create(
        patient=alice, rule=Rule.CO_USE, severity="high", window_start=today, window_end=today
    )
    body = {**hostile, "status": FlagStatus.OPEN, "note": "Called her."}

    response = client_for(bob).post(f"/api/v1/flags/{flag.pk}/{action}/", body)

    assert response.status_code == 200, response.json()
    flag.refresh_from_db()
    assert (flag.patient, flag.rule, flag.severity, flag.status) == (
        alice,
        Rule.CO_USE,
        "high",
        status,
    )
    assert flag.created_at > datetime(2020, 1, 1, tzinfo=UTC)
    assert flag.acknowledged_by == bob  # resolving an open flag acknowledges it too
    if action == "resolve":
        assert flag.resolved_by == bob


def test_an_invitation_is_from_its_author_to_their_clinic_and_not_yet_used(bob, riverside, hostile):
    body = {**hostile, "id": "00000000-0000-0000-0000-000000000002", "email": "new@example.org"}

    response = client_for(bob).post("/api/v1/invitations/", body)

    assert response.status_code == 201, response.json()
    invitation = Invitation.objects.get()
    assert (invitation.clinician, invitation.clinic, invitation.email) == (
        bob,
        riverside,
        "new@example.org",
    )
    assert str(invitation.pk) != "00000000-0000-0000-0000-000000000002"
    assert invitation.accepted_at is None
    assert invitation.accepted_by is None
    assert invitation.expires_at < datetime(2100, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("change", ["revoke", "restore"])
def test_a_consent_change_ignores_everything_in_the_body(alice, bob, alice_team, hostile, change):
    client_for(alice).post(f"/api/v1/care-team/{alice_team.pk}/revoke/")

    response = client_for(alice).post(f"/api/v1/care-team/{alice_team.pk}/{change}/", hostile)

    assert response.status_code == 200, response.json()
    membership = CareTeamMembership.objects.get()
    assert (membership.patient, membership.clinician) == (alice, bob)
    assert membership.consent_active is (change == "restore")


# Answers carry allow-listed fields only --------------------------------------------------


def _model_serializers() -> list[type[serializers.ModelSerializer]]:
    found = []
    for module in (journal_serializers, patient_serializers):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, serializers.ModelSerializer)
                and cls.__module__ == module.__name__
                and "Meta" in vars(cls)  # a base without its own Meta serialises nothing
            ):
                found.append(cls)
    return found


@pytest.mark.parametrize("serializer", _model_serializers(), ids=lambda cls: cls.__name__)
def test_every_model_serializer_lists_its_fields(serializer):
    meta = serializer.Meta

    assert not hasattr(meta, "exclude")
    assert isinstance(meta.fields, (list, tuple))
    assert "__all__" not in meta.fields
    assert not {"password", "is_superuser", "is_staff", "last_login"} & set(meta.fields)


FORBIDDEN_IN_ANSWERS = {"password", "is_staff", "is_superuser", "last_login", "is_active"}


def test_me_answers_exactly_the_fields_of_its_serializer(alice):
    body = client_for(alice).get("/api/v1/me/").json()

    assert set(body) == set(patient_serializers.MeSerializer().fields)
    assert not FORBIDDEN_IN_ANSWERS & set(body)


def test_the_care_team_answers_exactly_the_fields_of_its_serializer(alice, alice_team):
    [row] = client_for(alice).get("/api/v1/care-team/").json()

    assert set(row) == {
        "id",
        "clinician",
        "consent_active",
        "consent_granted_at",
        "consent_revoked_at",
    }
    assert set(row["clinician"]) == {"id", "display_name", "email", "title"}


def test_a_clinicians_view_of_a_patient_holds_exactly_the_documented_fields(alice, bob, alice_team):
    body = client_for(bob).get(f"/api/v1/patients/{alice.pk}/").json()

    assert set(body) == {"id", "email", "display_name", "timezone", "date_of_birth", "clinic"}
