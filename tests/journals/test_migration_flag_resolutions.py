"""Migration 0008: flags resolved before 0007 get their resolver and keep the notes apart."""

import importlib
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from journals.models import Flag, FlagStatus, Rule, Severity
from patients import audit
from patients.models import AuditAction, User

pytestmark = pytest.mark.django_db

migration = importlib.import_module("journals.migrations.0008_flag_resolutions_kept_apart")
EDITOR = SimpleNamespace(connection=connection)
SEEN = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def kept_before(patient: User, **fields: Any) -> Flag:
    """A flag as the single-note code left it."""
    values = {
        "rule": Rule.CO_USE,
        "severity": Severity.HIGH,
        "window_start": date(2026, 3, 31),
        "window_end": date(2026, 3, 31),
        **fields,
    }
    return Flag.objects.create(patient=patient, **values)


def resolved_at_once(patient: User, clinician: User) -> Flag:
    return kept_before(
        patient,
        status=FlagStatus.RESOLVED,
        acknowledged_by=clinician,
        acknowledged_at=SEEN,
        resolved_at=SEEN,
        acknowledgement_note="False alarm.",
    )


def acknowledged_then_resolved(patient: User, acknowledger: User, resolver: User) -> Flag:
    flag = kept_before(
        patient,
        status=FlagStatus.RESOLVED,
        acknowledged_by=acknowledger,
        acknowledged_at=SEEN,
        resolved_at=SEEN + timedelta(days=1),
        acknowledgement_note="Called her.",
    )
    audit.audit_change(
        action=AuditAction.FLAG_RESOLVED, actor=resolver, patient_id=patient.pk, obj=flag
    )
    return flag


def handled(flag: Flag) -> tuple[Any, ...]:
    flag.refresh_from_db()
    return (
        flag.acknowledged_by,
        flag.acknowledgement_note,
        flag.resolved_by,
        flag.resolution_note,
    )


def test_a_flag_resolved_straight_from_open_has_its_note_and_person_as_the_resolution(alice, bob):
    flag = resolved_at_once(alice, bob)

    migration.keep_resolutions_apart(apps, EDITOR)

    assert handled(flag) == (bob, "", bob, "False alarm.")


def test_the_resolver_of_a_flag_acknowledged_first_is_the_actor_of_its_audit_event(
    alice, bob, carol
):
    flag = acknowledged_then_resolved(alice, bob, carol)

    migration.keep_resolutions_apart(apps, EDITOR)

    assert handled(flag) == (bob, "Called her.", carol, "")


def test_open_and_acknowledged_flags_are_left_as_they_are(alice, bob):
    acknowledged = kept_before(
        alice,
        status=FlagStatus.ACKNOWLEDGED,
        acknowledged_by=bob,
        acknowledged_at=SEEN,
        acknowledgement_note="Seen.",
    )
    still_open = kept_before(alice, rule=Rule.POOR_SLEEP, severity=Severity.LOW)

    migration.keep_resolutions_apart(apps, EDITOR)

    assert handled(acknowledged) == (bob, "Seen.", None, "")
    assert handled(still_open) == (None, "", None, "")


def test_run_twice_nothing_changes_and_going_back_keeps_the_latest_note(alice, bob, carol):
    at_once = resolved_at_once(alice, bob)
    in_two_steps = acknowledged_then_resolved(alice, bob, carol)
    migration.keep_resolutions_apart(apps, EDITOR)
    once = [handled(at_once), handled(in_two_steps)]

    migration.keep_resolutions_apart(apps, EDITOR)
    twice = [handled(at_once), handled(in_two_steps)]
    migration.one_note_again(apps, EDITOR)

    assert twice == once
    assert handled(at_once)[1] == "False alarm."
    assert handled(in_two_steps)[1] == "Called her."
