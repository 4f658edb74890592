"""Reads of the journal, scoped by the permissions module before they get here."""

from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

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


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day (a day whose midnight is skipped starts later)."""
    return datetime.combine(day, time.min, tzinfo=zone)


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


def _utc_start_of(day: date, zone: ZoneInfo) -> datetime | None:
    """The UTC instant a local day starts, or None for a day at the edge of the calendar
    that no datetime can hold in UTC (no bound is needed there)."""
    try:
        return local_midnight(day, zone).astimezone(UTC)
    except OverflowError:
        return None
