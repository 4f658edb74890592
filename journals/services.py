"""Writes to the journal. Pages, the API and imports all come through here."""

import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from journals.models import (
    JournalEntry,
    SleepEntry,
)
from journals.queue import flags_evaluate_on_commit
from journals.validators import day_in_words
from patients import audit
from patients.models import AuditAction, User

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
        flags_evaluate_on_commit(patient.pk)
    return entry, created


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
    flags_evaluate_on_commit(entry.patient_id)
    return entry


def entry_delete(*, entry: JournalEntry) -> None:
    patient_id = entry.patient_id
    with transaction.atomic():
        audit.audit_entry_change(
            action=AuditAction.DELETE, entry=entry, before=audit.entry_answers(entry), after=None
        )
        entry.delete()
    flags_evaluate_on_commit(patient_id)


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
    flags_evaluate_on_commit(patient.pk)  # once for the whole check-in
    return created
