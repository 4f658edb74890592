"""Reads of the journal, scoped by the permissions module before they get here."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, CharField, Expression, F, Func, Q, QuerySet, Value
from django.db.models.functions import TruncDate

from journals.models import JournalEntry, PainEntry, PegAssessment, SleepEntry, UseEntry

E = TypeVar("E", bound=JournalEntry)

JOURNAL_MODELS: tuple[type[JournalEntry], ...] = (PainEntry, PegAssessment, SleepEntry, UseEntry)
# The short names pages use for each kind of entry (``/history/sleep/<id>/edit/``).
ENTRY_KINDS: dict[str, type[JournalEntry]] = {
    "pain": PainEntry,
    "peg": PegAssessment,
    "sleep": SleepEntry,
    "use": UseEntry,
}


class AnyOf(Func):
    """``column = ANY(%s)`` (PostgreSQL): a whole list as one array parameter. Building and
    parsing ``IN (%s, %s, …)`` for hundreds of ids costs more than running the query."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


def among(field: str, values: Iterable[Any], *, array: bool | None = None) -> Q:
    """``field__in=values``, as one array parameter on PostgreSQL (``array`` chooses the
    way when the caller decides it; by default the database does)."""
    if connection.vendor == "postgresql" if array is None else array:
        return Q(AnyOf(F(field), Value(list(values))))
    return Q(**{f"{field}__in": values})


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day (a day whose midnight is skipped starts later)."""
    return datetime.combine(day, time.min, tzinfo=zone)


# An evening check-in until 04:00 belongs to the evening before, as a bedtime after midnight
# belongs to its night: people who take kratom before bed often check in after midnight.
EVENING_ENDS_AT = time(4)


def checkin_evening(moment: datetime, zone: ZoneInfo) -> date:
    """The evening a check-in at ``moment`` belongs to (the local date, or the day before
    until 04:00). Only "is this evening's check-in done" reads it: the day's figures and
    lists keep to the local calendar day (CLINICAL.md)."""
    local = moment.astimezone(zone)
    return local.date() - timedelta(days=1) if local.time() < EVENING_ENDS_AT else local.date()


def checkin_evening_bounds(evening: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants whose check-ins belong to ``evening``: from its 04:00 to the next."""
    return (
        datetime.combine(evening, EVENING_ENDS_AT, tzinfo=zone),
        datetime.combine(evening + timedelta(days=1), EVENING_ENDS_AT, tzinfo=zone),
    )


def entries_in_local_dates(
    queryset: QuerySet[E], *, zone: ZoneInfo, since: date | None, until: date | None
) -> QuerySet[E]:
    """Entries whose local date, in the patient's zone, lies in [since, until], both inclusive.

    Timed entries are filtered on UTC bounds computed from the zone, so the index on
    (patient, time) serves the query; sleep entries on their ``night_of`` date.
    """
    model = queryset.model
    field = model.moment_field
    if model is SleepEntry:
        if since:
            queryset = queryset.filter(night_of__gte=since)
        if until:
            queryset = queryset.filter(night_of__lte=until)
        return queryset
    start = _utc_start_of(since, zone) if since else None
    end = _utc_start_of(until + timedelta(days=1), zone) if until and until < date.max else None
    if start:
        queryset = queryset.filter(**{f"{field}__gte": start})
    if end:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


def entries_for_export(
    model: type[E], *, patient: Any, zone: ZoneInfo, since: date | None, until: date | None
) -> QuerySet[E]:
    """A patient's entries of one kind in local dates, oldest first, for the exports (CSV and
    FHIR): read from ``EXPORT_DATABASE``, a read replica when one is configured, since an
    export is the longest read the app makes (docs/DEPLOY.md)."""
    queryset = model._default_manager.using(settings.EXPORT_DATABASE).filter(patient=patient)
    queryset = entries_in_local_dates(queryset, zone=zone, since=since, until=until)
    return queryset.order_by(model.moment_field, "id")


def _utc_start_of(day: date, zone: ZoneInfo) -> datetime | None:
    """The UTC instant a local day starts, or None for a day at the edge of the calendar
    that no datetime can hold in UTC (no bound is needed there)."""
    try:
        return local_midnight(day, zone).astimezone(UTC)
    except OverflowError:
        return None


def history_index(
    querysets: Mapping[str, QuerySet[JournalEntry]],
    *,
    zone: ZoneInfo,
    since: date | None,
    until: date | None,
) -> QuerySet[JournalEntry, dict[str, Any]]:
    """One row per entry, newest first: ``kind``, ``id``, local ``day`` and ``moment``.

    ``querysets`` maps each kind wanted (keys of ``ENTRY_KINDS``) to its scoped queryset.
    The kinds are read as one ``UNION ALL``, so counting it and reading one page of it are
    one query each however long the journal. A sleep diary sits on its ``night_of``, the
    evening its night began, as in ``entries_in_local_dates``; its moment is the bedtime.
    """
    parts = []
    for kind, queryset in querysets.items():
        model = queryset.model
        day: Expression | F
        if model is SleepEntry:
            day, moment = F("night_of"), F("bedtime")
        else:
            day, moment = TruncDate(model.moment_field, tzinfo=zone), F(model.moment_field)
        part = entries_in_local_dates(queryset, zone=zone, since=since, until=until)
        parts.append(
            part.order_by()
            .annotate(kind=Value(kind, output_field=CharField()), day=day, moment=moment)
            .values("id", "kind", "day", "moment")
        )
    if not parts:
        raise ValueError("history_index needs at least one kind of entry")
    first, *others = parts
    combined = first.union(*others, all=True) if others else first
    return combined.order_by("-day", "-moment", "kind", "-id")


def history_entries(
    querysets: Mapping[str, QuerySet[JournalEntry]], rows: Iterable[Mapping[str, Any]]
) -> dict[tuple[str, uuid.UUID], JournalEntry]:
    """The entries that rows of ``history_index`` name, by (kind, id): a query per kind."""
    wanted: dict[str, list[uuid.UUID]] = {}
    for row in rows:
        wanted.setdefault(row["kind"], []).append(row["id"])
    found: dict[tuple[str, uuid.UUID], JournalEntry] = {}
    for kind, ids in wanted.items():
        for entry in querysets[kind].filter(pk__in=ids):
            found[kind, entry.pk] = entry
    return found


def moment_of(entry: JournalEntry) -> datetime:
    """The instant an entry is placed at: its time, or a sleep diary's bedtime."""
    if isinstance(entry, SleepEntry):
        return entry.bedtime
    return cast(datetime, getattr(entry, entry.moment_field))
