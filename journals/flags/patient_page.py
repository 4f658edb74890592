"""What the clinician's patient page shows: flags with their evidence, the journal's charts
with co-use days marked, recent entries and the last entry, each in a fixed number of queries."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Q, When
from django.utils import timezone

from journals import safety
from journals.flags.services import evidence_changed
from journals.models import (
    Flag,
    FlagStatus,
    JournalEntry,
    Rule,
)
from journals.reports.charts import Chart, DateAxis, journal_charts
from journals.selectors import ENTRY_KINDS, entries_in_local_dates, history_index, moment_of
from journals.text import KIND_NAMES, HistoryRow, describe, describe_seen, history_row
from patients.models import User

TIMELINE_DAYS = 90
ENTRIES_DAYS = 30
RECENT_FLAG_DAYS = 30
RECENT_FLAGS_SHOWN = 20
REVIEWS_SHOWN = 20
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
EVIDENCE_SHOWN_OPEN = 5  # evidence rows shown unfolded


@dataclass(frozen=True)
class Evidence:
    kind: str
    at: str
    values: str  # as the rule saw them
    since: str = ""  # what the patient has done to the entry since, if anything


@dataclass(frozen=True)
class FlagView:
    flag: Flag
    evidence: list[Evidence]

    @property
    def is_open(self) -> bool:
        return self.flag.status == FlagStatus.OPEN

    @property
    def can_resolve(self) -> bool:
        return self.flag.status in (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)

    @property
    def evidence_open(self) -> bool:
        """A short list is shown; a long one (a month of rising doses) folds, so the page
        does not run to metres of evidence before the charts."""
        return len(self.evidence) <= EVIDENCE_SHOWN_OPEN


def timeline_charts(patient: User, axis: DateAxis, series: Any, co_use_window: int) -> list[Chart]:
    """Pain, sleep and kratom on one axis; kratom marks days with alcohol or a sedative."""
    return journal_charts(
        axis=axis,
        series=series,
        marked_days=safety.patient_co_use_days(
            patient=patient, since=axis.start, until=axis.end, window_hours=co_use_window
        ),
        marked_label=safety.CO_USE_LABEL,
    )


def patient_flags(patient: User) -> list[FlagView]:
    """Open flags, most severe first, then those acknowledged or resolved lately.

    One query for the flags and one per kind of entry their evidence names.
    """
    since = timezone.now() - timedelta(days=RECENT_FLAG_DAYS)
    found = list(
        Flag.objects.filter(patient=patient)
        .filter(Q(status=FlagStatus.OPEN) | Q(updated_at__gte=since))
        .select_related("acknowledged_by", "resolved_by")
        # Open ones first: at most one per rule, so the slice never drops one.
        .order_by(Case(When(status=FlagStatus.OPEN, then=0), default=1), "-updated_at")[
            : len(Rule) + RECENT_FLAGS_SHOWN
        ]
    )
    found.sort(key=lambda f: (f.status != FlagStatus.OPEN, SEVERITY_ORDER.get(f.severity, 3)))
    open_flags = [f for f in found if f.status == FlagStatus.OPEN]
    shown = [*open_flags, *[f for f in found if f.status != FlagStatus.OPEN][:RECENT_FLAGS_SHOWN]]
    zone = patient.patient_profile.zone
    entries = _evidence_entries(patient, shown)
    with timezone.override(zone):  # ``describe`` shows sleep times in the active zone
        return [
            FlagView(flag=f, evidence=[_evidence_item(i, zone, entries) for i in _items(f)])
            for f in shown
        ]


def _items(flag: Flag) -> list[Mapping[str, Any]]:
    items = flag.evidence if isinstance(flag.evidence, list) else []
    return [item for item in items if isinstance(item, Mapping)]


def _kind_of(item: Mapping[str, Any]) -> str | None:
    """The page's name for the evidence's kind of entry ("use"), also from a model name."""
    raw = str(item.get("kind", "")).lower().replace("_", "").replace("-", "")
    for kind, model in ENTRY_KINDS.items():
        if raw in (kind, model._meta.model_name):
            return kind
    return None


def _evidence_entries(patient: User, flags: Iterable[Flag]) -> dict[tuple[str, str], JournalEntry]:
    """The patient's entries the flags' evidence names, by (kind, id): a query per kind."""
    wanted: dict[str, set[str]] = {}
    for flag in flags:
        for item in _items(flag):
            kind = _kind_of(item)
            if kind is not None and item.get("entry_id"):
                wanted.setdefault(kind, set()).add(str(item["entry_id"]))
    found: dict[tuple[str, str], JournalEntry] = {}
    for kind, ids in wanted.items():
        valid = [i for i in ids if _is_uuid(i)]
        for entry in ENTRY_KINDS[kind]._default_manager.filter(patient=patient, pk__in=valid):
            found[kind, str(entry.pk)] = entry
    return found


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _evidence_item(
    item: Mapping[str, Any], zone: ZoneInfo, entries: Mapping[tuple[str, str], JournalEntry]
) -> Evidence:
    """One piece of evidence as the rule saw it when the flag was raised, and whether the
    patient has changed or deleted the entry since."""
    kind = _kind_of(item)
    raw_kind = str(item.get("kind", ""))
    heading = KIND_NAMES[kind][0] if kind else raw_kind.replace("_", " ").capitalize()
    at = str(item.get("at", ""))
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        shown_at = at
    else:
        shown_at = _local(moment, zone) if timezone.is_aware(moment) else at
    values = item.get("values", "")
    seen = describe_seen(values) if isinstance(values, Mapping) else str(values)
    entry_id = str(item.get("entry_id"))
    since = ""
    if kind is not None and _is_uuid(entry_id):
        entry = entries.get((kind, entry_id))
        if entry is None:
            since = "Deleted by the patient since this flag recorded it."
        elif evidence_changed(item, entry, zone):
            since = f"Changed by the patient since this flag recorded it; now: {describe(entry)}."
    return Evidence(kind=heading, at=shown_at, values=seen, since=since)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%a %-d %b %Y %H:%M}"


@dataclass(frozen=True)
class EntryRow:
    row: HistoryRow
    local_time: str


def recent_entries(patient: User, zone: ZoneInfo, *, since: date) -> list[EntryRow]:
    """The patient's entries from ``since`` to today, newest first: one query per kind."""
    rows: list[HistoryRow] = []
    with timezone.override(zone):  # ``describe`` shows sleep times in the active zone
        for kind, model in ENTRY_KINDS.items():
            queryset = entries_in_local_dates(
                model._default_manager.filter(patient=patient), zone=zone, since=since, until=None
            )
            for entry in queryset:
                rows.append(_row(kind, entry, zone))
    rows.sort(key=lambda r: (r.day, r.moment), reverse=True)
    return [EntryRow(row=r, local_time=_local(r.moment, zone)) for r in rows]


def _row(kind: str, entry: JournalEntry, zone: ZoneInfo) -> HistoryRow:
    """History's row: a sleep diary on its night, anything else on its local day."""
    moment = moment_of(entry)
    day = getattr(entry, "night_of", None) or moment.astimezone(zone).date()
    return history_row(kind, entry, day, moment)


def last_entry_text(patient: User, zone: ZoneInfo) -> str | None:
    """When the patient last logged anything, in their zone (one query)."""
    querysets = {
        kind: model._default_manager.filter(patient=patient) for kind, model in ENTRY_KINDS.items()
    }
    latest = history_index(querysets, zone=zone, since=None, until=None).first()
    return _local(latest["moment"], zone) if latest else None
