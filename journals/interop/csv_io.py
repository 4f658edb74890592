"""The journal as CSV, one file per kind of entry, and back in again.

Export
    Columns are the API's field names for that kind, in the serializer's order
    (``journals.serializers``). Times are ISO 8601 in the patient's own zone, with its UTC
    offset (``2026-04-01T21:00:00+02:00``): what they see in the app, yet exact. A pain
    entry's ``locations`` are joined with ``;``. Entries come oldest first, read with
    ``.iterator()`` in chunks and written row by row into a streamed response, so memory
    stays flat however long the journal (``bench/export_memory.py`` measures it).

    A cell that a spreadsheet would run as a formula (one starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return) gets a leading ``'`` (OWASP, CSV injection);
    the import takes that quote off again.

Import
    A file in the export format: the header names columns of that kind; the answers are
    required as in the API, read-only columns (``patient``, ``created_at``, ``score``, …)
    may be there and are ignored, an unknown or repeated column is refused. Every row goes
    through the API's serializer (types, ranges) and then ``services.entries_create``
    (the domain rules, one sleep diary per night), all in one transaction: one bad row and
    nothing is saved; every problem is listed by row (as a spreadsheet numbers it: the
    header is row 1) and column. An empty cell is a field left out (its default applies).
    The API takes the file as multipart ``file``; both API and page take UTF-8 (a
    spreadsheet's byte-order mark is fine), at most ``IMPORT_MAX_BYTES`` and
    ``IMPORT_MAX_ROWS`` rows. Flags are evaluated once, after the import commits.

    A re-import creates nothing new. A row with an ``id`` (every exported row) that is
    already in the journal is left as it is ("unchanged": an import never changes or
    deletes an entry); an id used by someone else is an error. A row without an ``id``
    gets one derived from the patient, the kind and the row's answers (times taken to
    UTC), so the same hand-made row imported twice is the same entry; two identical rows
    in one file are one entry.
"""

import csv
import io
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers

from journals import services
from journals.models import JournalEntry
from journals.selectors import ENTRY_KINDS, entries_for_export
from journals.serializers import (
    PainEntrySerializer,
    PegAssessmentSerializer,
    SleepEntrySerializer,
    UseEntrySerializer,
)
from patients.models import User

CSV_KINDS: dict[str, type[serializers.ModelSerializer]] = {
    "pain": PainEntrySerializer,
    "peg": PegAssessmentSerializer,
    "sleep": SleepEntrySerializer,
    "use": UseEntrySerializer,
}
CHUNK_SIZE = 250  # rows per fetch; an export holds two at most (bench/export_memory.py)
LIST_SEPARATOR = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
IMPORT_MAX_BYTES = 200 * 1024  # under DATA_UPLOAD_MAX_MEMORY_SIZE, which answers 413 above it
IMPORT_MAX_ROWS = 2000
# Fixed forever: ids of imported rows without one are uuid5 of this and their answers.
IMPORT_NAMESPACE = uuid.UUID("5d0c2f6e-3b7a-5e41-8c9d-2a6f1e4b7c30")


def columns(kind: str) -> tuple[str, ...]:
    """The CSV header of a kind: the API's fields, in the same order."""
    return tuple(CSV_KINDS[kind].Meta.fields)


def filename(kind: str, today: date) -> str:
    return f"mitra-{kind}-{today.isoformat()}.csv"


# Export


def export_queryset(
    *, patient: User, kind: str, since: date | None = None, until: date | None = None
) -> QuerySet[JournalEntry]:
    return entries_for_export(
        ENTRY_KINDS[kind],
        patient=patient,
        zone=patient.patient_profile.zone,
        since=since,
        until=until,
    )


def csv_rows(
    *, patient: User, kind: str, since: date | None = None, until: date | None = None
) -> Iterator[str]:
    """The file, one line at a time: the header, then a line per entry (one query)."""
    names = columns(kind)
    zone = patient.patient_profile.zone
    line = _LineWriter()
    yield line.write(names)
    entries = export_queryset(patient=patient, kind=kind, since=since, until=until)
    for entry in entries.iterator(chunk_size=CHUNK_SIZE):
        yield line.write([_cell(_value(entry, name), zone) for name in names])


def csv_response(
    *, patient: User, kind: str, since: date | None = None, until: date | None = None
) -> StreamingHttpResponse:
    """The streamed download the API and the pages both answer with."""
    response = StreamingHttpResponse(
        csv_rows(patient=patient, kind=kind, since=since, until=until),
        content_type="text/csv; charset=utf-8",
    )
    today = timezone.now().astimezone(patient.patient_profile.zone).date()
    response["Content-Disposition"] = f'attachment; filename="{filename(kind, today)}"'
    return response


def _value(entry: JournalEntry, name: str) -> Any:
    # The patient's id, not the patient: no query per row.
    return entry.patient_id if name == "patient" else getattr(entry, name)


class _LineWriter:
    """csv.writer into a string per row (the streamed response takes strings)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def write(self, row: Any) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(row)
        return self.buffer.getvalue()


def _cell(value: Any, zone: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(item) for item in value)
    if isinstance(value, Decimal):
        return str(value) if value.as_tuple().exponent == -1 else format(value.normalize(), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    return escape_formula(str(value))


def escape_formula(text: str) -> str:
    """A cell a spreadsheet would run as a formula starts with a ``'`` instead (OWASP)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def unescape_formula(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


# Import


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    errors: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "errors": self.errors}


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0


class ImportInvalid(Exception):
    """The file (``file_errors``) or some rows (``row_errors``) are wrong; nothing saved."""

    def __init__(
        self, *, file_errors: list[str] | None = None, row_errors: list[RowError] | None = None
    ) -> None:
        super().__init__("The import is invalid.")
        self.file_errors = file_errors or []
        self.row_errors = row_errors or []

    def as_dict(self) -> dict[str, Any]:
        if self.file_errors:
            return {"file": self.file_errors}
        return {"rows": [error.as_dict() for error in self.row_errors]}


@dataclass
class _Parsed:
    row: int
    entry_id: uuid.UUID
    data: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


def read_upload(raw: bytes) -> str:
    """The upload's text: UTF-8 (a spreadsheet's byte-order mark is fine), within limits."""
    if len(raw) > IMPORT_MAX_BYTES:
        raise ImportInvalid(
            file_errors=[f"The file is larger than {IMPORT_MAX_BYTES // 1024} KB; split it."]
        )
    if not raw.strip():
        raise ImportInvalid(file_errors=["The file is empty."])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportInvalid(
            file_errors=["The file is not UTF-8 text. Save it as CSV UTF-8 and try again."]
        ) from exc
    if "\x00" in text:  # PostgreSQL text cannot hold it, and no CSV diary has one
        raise ImportInvalid(file_errors=["The file is not a text file."])
    return text


def csv_import(*, patient: User, kind: str, text: str) -> ImportResult:
    """Import a CSV of one kind into the patient's journal, all or nothing.

    Raises ``ImportInvalid`` with the file's or every row's problems; then nothing is saved.
    """
    serializer_class = CSV_KINDS[kind]
    model = ENTRY_KINDS[kind]
    rows = _read_rows(kind, text)
    writable = {
        name
        for name, serializer_field in serializer_class().fields.items()
        if not serializer_field.read_only
    }
    parsed: list[_Parsed] = []
    errors: list[RowError] = []
    for number, row in rows:
        item = _parse_row(
            serializer_class, writable, patient=patient, kind=kind, number=number, row=row
        )
        errors.extend(item.errors)
        if not item.errors:
            parsed.append(item)
    result = ImportResult()
    new = _new_rows(model, patient=patient, parsed=parsed, errors=errors, result=result)
    try:
        with transaction.atomic():
            try:
                if new:
                    services.entries_create(
                        patient=patient,
                        parts={
                            str(item.row): (model, {**item.data, "id": item.entry_id})
                            for item in new
                        },
                    )
            except services.EntriesInvalid as exc:
                errors.extend(_service_errors(exc.errors))
            if errors:
                transaction.set_rollback(True)
    except IntegrityError as exc:  # an id taken by another import at the same moment
        raise ImportInvalid(
            file_errors=["Some entries changed while importing. Try again."]
        ) from exc
    if errors:
        raise ImportInvalid(row_errors=sorted(errors, key=lambda e: (e.row, e.column or "")))
    result.created = len(new)
    return result


def _read_rows(kind: str, text: str) -> list[tuple[int, dict[str, str]]]:
    allowed = columns(kind)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ImportInvalid(file_errors=["The file has no header row."]) from exc
    problems = []
    unknown = [name for name in header if name not in allowed]
    if unknown:
        problems.append(
            f"Unknown column: {', '.join(unknown)}. A {kind} file has: {', '.join(allowed)}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"Repeated column: {', '.join(repeated)}.")
    missing = [name for name in _required(kind) if name not in header]
    if missing:
        problems.append(f"Missing column: {', '.join(missing)}.")
    if problems:
        raise ImportInvalid(file_errors=problems)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for index, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue  # a blank line, as spreadsheets leave at the end
            if len(rows) >= IMPORT_MAX_ROWS:
                raise ImportInvalid(
                    file_errors=[f"The file has more than {IMPORT_MAX_ROWS} rows; split it."]
                )
            if len(values) != len(header):
                rows.append((index, {"": f"{len(values)} cells for {len(header)} columns"}))
                continue
            rows.append((index, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        raise ImportInvalid(file_errors=["The file is not valid CSV."]) from exc
    return rows


def _required(kind: str) -> list[str]:
    serializer = CSV_KINDS[kind]()
    return [
        name
        for name, serializer_field in serializer.fields.items()
        if serializer_field.required and not serializer_field.read_only
    ]


def _parse_row(
    serializer_class: type[serializers.ModelSerializer],
    writable: set[str],
    *,
    patient: User,
    kind: str,
    number: int,
    row: Mapping[str, str],
) -> _Parsed:
    if "" in row:  # the wrong number of cells
        return _Parsed(number, uuid.UUID(int=0), {}, [RowError(number, None, [row[""]])])
    data: dict[str, Any] = {}
    for name, raw in row.items():
        value = unescape_formula(raw.strip())
        if name not in writable or value == "":
            continue
        if name == "locations":
            data[name] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        else:
            data[name] = value
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        errors = [
            RowError(number, name, _flatten(messages))
            for name, messages in serializer.errors.items()
        ]
        return _Parsed(number, uuid.UUID(int=0), {}, errors)
    validated = dict(serializer.validated_data)
    entry_id = validated.pop("id", None) or _derived_id(patient=patient, kind=kind, data=validated)
    return _Parsed(number, entry_id, validated)


def _derived_id(*, patient: User, kind: str, data: Mapping[str, Any]) -> uuid.UUID:
    parts = [str(patient.pk), kind]
    for name in sorted(data):
        value = data[name]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        elif isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        parts.append(f"{name}={value}")
    return uuid.uuid5(IMPORT_NAMESPACE, "\x1f".join(parts))


def _new_rows(
    model: type[JournalEntry],
    *,
    patient: User,
    parsed: list[_Parsed],
    errors: list[RowError],
    result: ImportResult,
) -> list[_Parsed]:
    """The rows to create: not in the journal yet, each id once. Counts the others."""
    owners = dict(
        model._default_manager.filter(pk__in=[item.entry_id for item in parsed]).values_list(
            "pk", "patient_id"
        )
    )
    new: list[_Parsed] = []
    first_of: dict[uuid.UUID, _Parsed] = {}
    for item in parsed:
        owner = owners.get(item.entry_id)
        if owner is not None and owner != patient.pk:
            errors.append(RowError(item.row, "id", ["This id is already in use."]))
        elif owner is not None:
            result.unchanged += 1
        elif item.entry_id in first_of:
            earlier = first_of[item.entry_id]
            if earlier.data == item.data:
                result.unchanged += 1
            else:
                errors.append(RowError(item.row, "id", [f"This id is also on row {earlier.row}."]))
        else:
            first_of[item.entry_id] = item
            new.append(item)
    return new


def _service_errors(errors: Mapping[str, ValidationError]) -> list[RowError]:
    found = []
    for key, exc in errors.items():
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        for name, messages in by_field.items():
            column = None if name in ("", NON_FIELD_ERRORS) else name
            found.append(RowError(int(key), column, list(messages)))
    return found


def _flatten(messages: Any) -> list[str]:
    """DRF errors: a list of strings, or a dict by list index (``locations``)."""
    if isinstance(messages, dict):
        return [f"{key}: {text}" for key, value in messages.items() for text in _flatten(value)]
    if isinstance(messages, list):
        return [text for item in messages for text in _flatten(item)]
    return [str(messages)]
