"""Reads of the journal, scoped by the permissions module before they get here."""

from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from journals.models import JournalEntry, PainEntry, PegAssessment, SleepEntry, UseEntry

E = TypeVar("E", bound=JournalEntry)

JOURNAL_MODELS: tuple[type[JournalEntry], ...] = (PainEntry, PegAssessment, SleepEntry, UseEntry)


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
    if since:
        queryset = queryset.filter(**{f"{field}__gte": local_midnight(since, zone)})
    if until:
        queryset = queryset.filter(
            **{f"{field}__lt": local_midnight(until + timedelta(days=1), zone)}
        )
    return queryset
