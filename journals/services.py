"""Writes to the journal. Pages, the API and imports all come through here."""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from journals.models import (
    NOTE_MAX,
    Flag,
    FlagStatus,
    JournalEntry,
    PatientThresholds,
    ReminderKind,
    ReminderSettings,
    Review,
    SleepEntry,
)
from journals.thresholds import THRESHOLD_FIELDS
from journals.validators import day_in_words
from patients import audit
from patients.models import AuditAction, ClinicianProfile, User

E = TypeVar("E", bound=JournalEntry)

# The code of "a sleep diary for this night is kept already"; its params name the night
# ("night") and the diary kept ("entry_id"), so a page can link to it.
NIGHT_TAKEN = "night_taken"


class EntryIdTaken(Exception):
    """The client-chosen id already names an entry that is not the caller's."""


def entry_create(
    *, patient: User, model: type[E], data: Mapping[str, Any], entry_id: uuid.UUID | None = None
) -> tuple[E, bool]:
    """Create an entry; with a client-chosen id, a repeat returns the stored one.

    Returns ``(entry, created)``. Raises ``ValidationError`` with errors per field, or
    ``EntryIdTaken`` when the id belongs to someone else's entry (nothing about it is told).
    Flags are evaluated after the transaction commits.
    """
    entry, created = _entry_create(patient=patient, model=model, data=data, entry_id=entry_id)
    if created:
        _flags_evaluate_on_commit(patient_id=patient.pk)
    return entry, created


def _flags_evaluate_on_commit(*, patient_id: uuid.UUID) -> None:
    from journals.tasks import flags_evaluate_on_commit

    flags_evaluate_on_commit(patient_id)


def _entry_create(
    *, patient: User, model: type[E], data: Mapping[str, Any], entry_id: uuid.UUID | None
) -> tuple[E, bool]:
    if entry_id is not None:
        existing = _existing_with_id(patient=patient, model=model, entry_id=entry_id)
        if existing is not None:
            return existing, False
    entry = model(patient=patient, **data)
    if entry_id is not None:
        entry.id = entry_id
    _validate(entry)
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
            audit.audit_entry_change(
                action=AuditAction.CREATE,
                entry=entry,
                before=None,
                after=audit.entry_answers(entry),
            )
    except IntegrityError:
        if entry_id is not None:
            existing = _existing_with_id(patient=patient, model=model, entry_id=entry_id)
            if existing is not None:
                return existing, False
        _validate(entry)  # a concurrent write took the night: answer it as a field error
        raise
    return entry, True


def entry_update(*, entry: E, data: Mapping[str, Any]) -> E:
    # From the database: a bound form has already put its typed values on ``entry``.
    stored = type(entry)._default_manager.filter(pk=entry.pk).first()
    before = audit.entry_answers(stored) if stored is not None else None
    for field, value in data.items():
        setattr(entry, field, value)
    _validate(entry)
    entry.__dict__.pop("metrics", None)  # a sleep entry's cached derived values
    try:
        with transaction.atomic():
            entry.save(update_fields=[*data.keys(), "updated_at"])
            audit.audit_entry_change(
                action=AuditAction.UPDATE,
                entry=entry,
                before=before,
                after=audit.entry_answers(entry),
            )
    except IntegrityError:
        _validate(entry)
        raise
    _flags_evaluate_on_commit(patient_id=entry.patient_id)
    return entry


def entry_delete(*, entry: JournalEntry) -> None:
    patient_id = entry.patient_id
    with transaction.atomic():
        audit.audit_entry_change(
            action=AuditAction.DELETE, entry=entry, before=audit.entry_answers(entry), after=None
        )
        entry.delete()
    _flags_evaluate_on_commit(patient_id=patient_id)


def _existing_with_id(*, patient: User, model: type[E], entry_id: uuid.UUID) -> E | None:
    found = model._default_manager.filter(pk=entry_id).first()
    if found is None:
        return None
    if found.patient_id != patient.pk:
        raise EntryIdTaken
    return found


def _validate(entry: JournalEntry) -> None:
    """The domain rules (model ``clean``), field ranges, and one sleep diary per night.

    The database's constraints check the same again; here each failure gets a clear message.
    """
    errors: dict[str, Any] = {}  # field -> messages, or a ValidationError carrying its code
    try:
        entry.full_clean(
            exclude=["patient", "id"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        errors = exc.message_dict
    if isinstance(entry, SleepEntry) and "night_of" not in errors and entry.night_of:
        taken = (
            SleepEntry.objects.filter(patient_id=entry.patient_id, night_of=entry.night_of)
            .exclude(pk=entry.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if taken is not None:
            errors["night_of"] = [
                ValidationError(
                    "There is already a sleep diary for the night of %(night)s: "
                    "change that diary instead of adding another.",
                    code=NIGHT_TAKEN,
                    params={"night": day_in_words(entry.night_of), "entry_id": taken},
                )
            ]
    if errors:
        raise ValidationError(errors)


def reminder_settings_get(*, patient: User) -> ReminderSettings:
    """A patient's reminder settings; the defaults until they change them."""
    found, _ = ReminderSettings.objects.get_or_create(patient=patient)
    return found


def reminder_turn_off(*, person: User, kind: str) -> None:
    """From the link in a reminder email: that one reminder off (idempotent)."""
    if kind == ReminderKind.DIGEST:
        ClinicianProfile.objects.filter(user=person).update(digest_enabled=False)
        return
    reminder_settings_update(patient=person, data={f"{kind}_enabled": False})


def reminder_settings_update(*, patient: User, data: Mapping[str, Any]) -> ReminderSettings:
    reminders = reminder_settings_get(patient=patient)
    for field, value in data.items():
        setattr(reminders, field, value)
    reminders.full_clean(exclude=["patient"])
    reminders.save(update_fields=[*data.keys(), "updated_at"])
    return reminders


EntryPart = tuple[type[JournalEntry], Mapping[str, Any]]


class EntriesInvalid(Exception):
    """Some parts of a save of several entries broke the journal's rules; none was saved."""

    def __init__(self, errors: dict[str, ValidationError]) -> None:
        super().__init__("Some entries are invalid: " + ", ".join(errors))
        self.errors = errors


def entries_check(*, patient: User, parts: Mapping[str, EntryPart]) -> None:
    """The journal's rules on each part, saving nothing: while another part of a check-in is
    still incomplete, its errors show together with these. ``EntriesInvalid`` as below."""
    errors: dict[str, ValidationError] = {}
    for key, (model, data) in parts.items():
        try:
            _validate(model(patient=patient, **data))
        except ValidationError as exc:
            errors[key] = exc
    if errors:
        raise EntriesInvalid(errors)


@transaction.atomic
def entries_create(*, patient: User, parts: Mapping[str, EntryPart]) -> dict[str, JournalEntry]:
    """Create several entries together, all or nothing (a check-in).

    ``parts`` maps a key of the caller's choosing (a form prefix) to ``(model, data)``. Each
    part goes through ``entry_create``; if any fails, ``EntriesInvalid`` names every failing
    part by its key and the transaction is rolled back, so nothing is saved.
    """
    created: dict[str, JournalEntry] = {}
    errors: dict[str, ValidationError] = {}
    for key, (model, data) in parts.items():
        try:
            created[key], _ = _entry_create(patient=patient, model=model, data=data, entry_id=None)
        except ValidationError as exc:
            errors[key] = exc
    if errors:
        raise EntriesInvalid(errors)
    _flags_evaluate_on_commit(patient_id=patient.pk)  # once for the whole check-in
    return created


def thresholds_update(
    *, patient: User, clinician: User, data: Mapping[str, Any]
) -> PatientThresholds:
    """Replace the care team's overrides for a patient (``None`` = the clinic default); the
    patient's flags are evaluated again under them once saved, not at the next hourly sweep."""
    overrides = PatientThresholds.objects.filter(pk=patient.pk).first() or PatientThresholds(
        patient=patient
    )
    before = {field: getattr(overrides, field) for field in THRESHOLD_FIELDS}
    for field in THRESHOLD_FIELDS:
        setattr(overrides, field, data.get(field))
    overrides.updated_by = clinician
    overrides.full_clean(exclude=["patient", "updated_by"])
    with transaction.atomic():
        overrides.save()
        audit.audit_change(
            action=AuditAction.UPDATE,
            actor=clinician,
            patient_id=patient.pk,
            obj=overrides,
            before=before,
            after={field: getattr(overrides, field) for field in THRESHOLD_FIELDS},
        )
    _flags_evaluate_on_commit(patient_id=patient.pk)
    return overrides


def flag_acknowledge(*, flag: Flag, clinician: User, note: str = "") -> Flag:
    """An open flag is seen by a clinician; a later occurrence then opens a new flag."""
    return _flag_move(
        flag=flag,
        clinician=clinician,
        action=AuditAction.FLAG_ACKNOWLEDGED,
        allowed_from=[FlagStatus.OPEN],
        changes={"status": FlagStatus.ACKNOWLEDGED, "acknowledgement_note": note.strip()},
    )


def flag_resolve(*, flag: Flag, clinician: User, note: str = "") -> Flag:
    """An open or acknowledged flag is closed; an open one is acknowledged by the resolver
    too. The acknowledgement's person and note stay as they were."""
    return _flag_move(
        flag=flag,
        clinician=clinician,
        action=AuditAction.FLAG_RESOLVED,
        allowed_from=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED],
        changes={"status": FlagStatus.RESOLVED, "resolution_note": note.strip()},
    )


@transaction.atomic
def _flag_move(
    *, flag: Flag, clinician: User, action: str, allowed_from: list[str], changes: dict[str, Any]
) -> Flag:
    """Apply ``changes`` with who and when; the audit keeps each changed field before and
    after."""
    for name in ("acknowledgement_note", "resolution_note"):
        if len(changes.get(name, "")) > NOTE_MAX:
            raise ValidationError({"note": [f"Keep the note under {NOTE_MAX} characters."]})
    # Locked: of two clinicians acting at once, the second waits and sees the first's move.
    current = Flag.objects.select_for_update().get(pk=flag.pk)
    if current.status not in allowed_from:
        raise ValidationError(
            {"status": [f"This flag is already {current.get_status_display().lower()}."]}
        )
    now = timezone.now()
    changes = dict(changes)
    if current.acknowledged_at is None:
        changes.update(acknowledged_by=clinician, acknowledged_at=now)
    if changes["status"] == FlagStatus.RESOLVED:
        changes.update(resolved_by=clinician, resolved_at=now)
    before = _flag_audit_values(current, changes)
    for name, value in changes.items():
        setattr(current, name, value)
    current.save(update_fields=[*changes, "updated_at"])  # post_save: the triage summary
    audit.audit_change(
        action=action,
        actor=clinician,
        patient_id=current.patient_id,
        obj=current,
        before=before,
        after=_flag_audit_values(current, changes),
    )
    return current


def _flag_audit_values(flag: Flag, names: Iterable[str]) -> dict[str, Any]:
    """The fields as the audit keeps them: a person as their id."""
    return {name: flag.serializable_value(name) for name in names}


def review_create(*, patient: User, clinician: User, note: str = "") -> Review:
    """The clinician has reviewed the patient's journal up to now."""
    review = Review(patient=patient, clinician=clinician, note=note.strip())
    review.full_clean(exclude=["patient", "clinician"])
    with transaction.atomic():
        review.save()
        audit.audit_change(
            action=AuditAction.CREATE, actor=clinician, patient_id=patient.pk, obj=review
        )
    return review
