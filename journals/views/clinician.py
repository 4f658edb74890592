"""The clinician's patient page: timeline, flags with evidence, reviews, entries, thresholds.

Every view reaches the patient through ``get_patient_for_user``, so a patient outside the
clinician's care teams (another clinic, consent revoked) is 404. Each form posts to its own
URL and redirects back to the page with a message (PRG); only invalid threshold overrides
re-render the page, with the messages next to the fields.
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, When
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from journals import safety, services
from journals.charts import Chart, DateAxis, journal_charts
from journals.choices import SEDATING_SUBSTANCES, Substance
from journals.flags import evidence_changed
from journals.forms import FlagNoteForm, ReviewForm, ThresholdOverridesForm
from journals.models import (
    Flag,
    FlagStatus,
    JournalEntry,
    PatientThresholds,
    Review,
    Rule,
    UseEntry,
)
from journals.selectors import ENTRY_KINDS, entries_in_local_dates, history_index
from journals.thresholds import clinic_thresholds
from journals.trends import patient_today, trend_series
from journals.views.history import (
    KIND_NAMES,
    HistoryRow,
    describe,
    describe_seen,
    history_row,
    moment_of,
)
from patients.audit import audit_reads
from patients.models import User
from patients.permissions import SignedInRequest, clinician_required, get_patient_for_user

TIMELINE_DAYS = 90
ENTRIES_DAYS = 30
RECENT_FLAG_DAYS = 30
RECENT_FLAGS_SHOWN = 20
REVIEWS_SHOWN = 20
CO_USE_LABEL = "Kratom with alcohol or a sedative"
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
EVIDENCE_SHOWN_OPEN = 5  # evidence rows shown unfolded
FLAG_ACTIONS = {
    "acknowledge": (services.flag_acknowledge, "acknowledged"),
    "resolve": (services.flag_resolve, "resolved"),
}


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


@require_safe
@clinician_required
def patient_page(request: SignedInRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient_for_user(request.user, str(patient_id))
    return _render_page(request, patient)


@require_POST
@clinician_required
def flag_change(
    request: SignedInRequest, patient_id: uuid.UUID, flag_id: uuid.UUID, action: str
) -> HttpResponse:
    """Acknowledge or resolve one of the patient's flags, with an optional note."""
    patient = get_patient_for_user(request.user, str(patient_id))
    if action not in FLAG_ACTIONS:
        raise Http404
    flag = Flag.objects.filter(patient=patient, pk=flag_id).first()
    if flag is None:
        raise Http404
    move, done = FLAG_ACTIONS[action]
    form = FlagNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form.errors.values()))
        return _back(patient)
    try:
        move(flag=flag, clinician=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, _first_error([exc.messages]))
        return _back(patient)
    messages.success(request, f"Flag “{flag.get_rule_display()}” {done}.")
    return _back(patient)


@require_POST
@clinician_required
def review_create(request: SignedInRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Mark the patient reviewed up to now, with an optional note."""
    patient = get_patient_for_user(request.user, str(patient_id))
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form.errors.values()))
        return _back(patient)
    services.review_create(patient=patient, clinician=request.user, note=form.cleaned_data["note"])
    messages.success(request, f"{patient.display_name} marked reviewed up to now.")
    return _back(patient)


@require_POST
@clinician_required
def thresholds_update(request: SignedInRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The overrides; invalid values re-render the page and nothing is saved."""
    patient = get_patient_for_user(request.user, str(patient_id))
    form = _thresholds_form(patient, data=request.POST)
    if not form.is_valid():
        return _render_page(request, patient, thresholds_form=form, status=400)
    try:
        services.thresholds_update(patient=patient, clinician=request.user, data=form.overrides())
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _render_page(request, patient, thresholds_form=form, status=400)
    messages.success(request, "Thresholds saved.")
    return _back(patient)


def _back(patient: User) -> HttpResponseRedirect:
    return redirect(reverse("clinician-patient", kwargs={"patient_id": patient.pk}))


def _first_error(error_lists: Iterable[Iterable[Any]]) -> str:
    for errors in error_lists:
        for error in errors:
            return str(error)
    return "That did not work."


def _thresholds_form(
    patient: User, data: Mapping[str, Any] | None = None
) -> ThresholdOverridesForm:
    overrides = PatientThresholds.objects.filter(pk=patient.pk).first()
    return ThresholdOverridesForm(
        data,
        instance=overrides or PatientThresholds(patient=patient),
        clinic_defaults=clinic_thresholds(clinic_id=patient.patient_profile.clinic_id),
    )


def _render_page(
    request: SignedInRequest,
    patient: User,
    *,
    thresholds_form: ThresholdOverridesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page in a fixed number of queries, whatever the number of entries and flags."""
    zone = patient.patient_profile.zone
    today = patient_today(patient)
    axis = DateAxis.ending(today, TIMELINE_DAYS)
    series = trend_series(patient=patient, since=axis.start, until=today)
    reviews = list(
        Review.objects.filter(patient=patient).select_related("clinician")[:REVIEWS_SHOWN]
    )
    flags = _flags(patient)
    thresholds_form = thresholds_form or _thresholds_form(patient)
    co_use_window = thresholds_form.in_effect.co_use_window_hours
    audit_reads(request=request, actor=request.user, patients=[patient], object_type="patient")
    return render(
        request,
        "journals/clinician_patient.html",
        {
            "nav": "clinic",
            "patient": patient,
            "zone": zone,
            "last_entry": _last_entry(patient, zone),
            "last_review": reviews[0] if reviews else None,
            "axis": axis,
            "charts": _charts(patient, axis, series, co_use_window),
            "open_flags": [f for f in flags if f.is_open],
            "other_flags": [f for f in flags if not f.is_open],
            "recent_flag_days": RECENT_FLAG_DAYS,
            "flag_form": FlagNoteForm(),
            "review_form": ReviewForm(),
            "reviews": reviews,
            "entries": _entries(patient, zone, since=today - timedelta(days=ENTRIES_DAYS - 1)),
            "entries_days": ENTRIES_DAYS,
            "thresholds_form": thresholds_form,
        },
        status=status,
    )


def _charts(patient: User, axis: DateAxis, series: Any, co_use_window: int) -> list[Chart]:
    """Pain, sleep and kratom on one axis; kratom marks days with alcohol or a sedative."""
    return journal_charts(
        axis=axis,
        series=series,
        marked_days=co_use_days(patient, axis.start, axis.end, window_hours=co_use_window),
        marked_label=CO_USE_LABEL,
    )


def co_use_days(patient: User, since: date, until: date, *, window_hours: int) -> set[date]:
    """Local days of kratom taken with alcohol or a sedative (``safety.co_use_days``), within
    the care team's ``co_use_window_hours`` for this patient, as their flag has it (one query)."""
    zone = patient.patient_profile.zone
    uses = entries_in_local_dates(
        UseEntry.objects.filter(
            patient=patient, substance__in=[Substance.KRATOM, *SEDATING_SUBSTANCES]
        ).only("taken_at", "substance"),
        zone=zone,
        since=since - timedelta(days=1),  # a pair across the first or the last midnight
        until=until + timedelta(days=1),
    )
    days = safety.co_use_days(uses, zone=zone, window=timedelta(hours=window_hours))
    return {day for day in days if since <= day <= until}


def _flags(patient: User) -> list[FlagView]:
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


def _entries(patient: User, zone: ZoneInfo, *, since: date) -> list[EntryRow]:
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


def _last_entry(patient: User, zone: ZoneInfo) -> str | None:
    """When the patient last logged anything, in their zone (one query)."""
    querysets = {
        kind: model._default_manager.filter(patient=patient) for kind, model in ENTRY_KINDS.items()
    }
    latest = history_index(querysets, zone=zone, since=None, until=None).first()
    return _local(latest["moment"], zone) if latest else None
