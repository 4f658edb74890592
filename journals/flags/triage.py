"""The clinician's triage list: who needs me today, and why. One row per visible patient.

The figures are computed in a constant number of queries whatever the number of patients:
one for the patients with their flag, review and last-entry figures as subqueries, then one
per kind of entry for the recent days, aggregated here by each patient's local day (as
``journals.trends`` does); in SQL that SQLite runs too (``make run``'s database). They are
kept per patient (``TriageSummary``) and recomputed only when the patient's journal, flags
or reviews changed or their local day moved on, so a list of hundreds of patients is
filtered, sorted and paged in SQL (``triage_list``).

Definitions (each in one place, here):

- open flags: flags with status ``open``, counted by severity; ``highest_severity`` the
  highest of them, ``None`` without open flags.
- unreviewed entries: entries of every kind (pain, PEG, sleep, use) *created* after the
  ``reviewed_at`` of the patient's latest Review by any clinician; all of them if never
  reviewed.
- last entry: the latest time an entry stands for (a pain rating's or a dose's time, a sleep
  diary's bedtime), as the ``stopped_logging`` flag reads it; not when it was saved, so
  entries imported or filled in late do not make an absent patient look present.
- not logging: no entry on the last ``NOT_LOGGING_DAYS`` local days, today included (a
  patient who never logged is not logging either).
- pain: the mean of the daily mean NRS over the 7 local days ending today, and over the 7
  days before, as on the patient's Trends page; one decimal. The trend compares those two
  rounded figures: ``up`` or ``down`` at a change of at least ``PAIN_TREND_POINTS`` (1
  point), else ``flat``; ``None`` when either week has no pain entry. CLINICAL.md gives
  about 1 point on the PEG score and 2 points on a single NRS as a meaningful change; a
  week's mean of daily NRS is smoothed like the PEG, and triage should point early, so 1.
- kratom: leaf grams (powder, capsule, tea) per day over the 7 local days ending today,
  averaged over the days with an entry that would have said so (pain, PEG or any use; a
  sleep diary does not ask about use), as on the Trends page; one decimal.
- sleep efficiency: the mean SE of the last ``RECENT_NIGHTS`` nights logged within the last
  ``RECENT_NIGHTS_WITHIN_DAYS`` days, each from ``journals.metrics.sleep_metrics``.
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Lower
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from journals.metrics import ONE_DECIMAL, half_up, sleep_metrics
from journals.models import (
    Flag,
    FlagStatus,
    PainEntry,
    PegAssessment,
    Review,
    Rule,
    Severity,
    SleepEntry,
    TriageSummary,
    UseEntry,
)
from journals.selectors import JOURNAL_MODELS, among, local_midnight
from journals.validators import is_kratom_leaf
from patients.models import PatientProfile, User
from patients.permissions import patients_visible_to

WEEK = 7
PAIN_TREND_POINTS = Decimal(1)
NOT_LOGGING_DAYS = 3
RECENT_NIGHTS = 5
RECENT_NIGHTS_WITHIN_DAYS = 14
SEVERITY_RANK = {Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}
# Before any entry could have been made: "never reviewed" counts every entry.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)

Trend = Literal["up", "down", "flat"]
_RULES = frozenset(Rule.values)  # Rule.values builds its list anew on every call


@dataclass
class TriageRow:
    patient: User
    today: date
    open_high: int = 0
    open_medium: int = 0
    open_low: int = 0
    open_flag_rules: list[str] = field(default_factory=list)
    unreviewed_entries: int = 0
    last_entry_at: datetime | None = None
    pain_7d_mean: Decimal | None = None
    pain_prev_7d_mean: Decimal | None = None
    kratom_7d_g_per_day: Decimal | None = None
    sleep_efficiency_recent: Decimal | None = None

    @property
    def open_flags(self) -> dict[str, int]:
        return {"high": self.open_high, "medium": self.open_medium, "low": self.open_low}

    @property
    def open_flag_labels(self) -> list[str]:
        return [str(Rule(rule).label) if rule in _RULES else rule for rule in self.open_flag_rules]

    @property
    def open_flags_total(self) -> int:
        return self.open_high + self.open_medium + self.open_low

    @property
    def highest_severity(self) -> str | None:
        for severity, count in (
            (Severity.HIGH, self.open_high),
            (Severity.MEDIUM, self.open_medium),
            (Severity.LOW, self.open_low),
        ):
            if count:
                return str(severity.value)
        return None

    @property
    def severity_rank(self) -> int:
        highest = self.highest_severity
        return SEVERITY_RANK[Severity(highest)] if highest else 0

    @property
    def pain_trend(self) -> Trend | None:
        now, before = self.pain_7d_mean, self.pain_prev_7d_mean
        if now is None or before is None:
            return None
        if now - before >= PAIN_TREND_POINTS:
            return "up"
        if before - now >= PAIN_TREND_POINTS:
            return "down"
        return "flat"

    @property
    def zone(self) -> ZoneInfo:
        return self.patient.patient_profile.zone

    @property
    def not_logging(self) -> bool:
        if self.last_entry_at is None:
            return True
        last_day = self.last_entry_at.astimezone(self.zone).date()
        return last_day <= self.today - timedelta(days=NOT_LOGGING_DAYS)


class JsonList(Aggregate):
    """The values as the text of a JSON list: ``JSON_AGG`` on PostgreSQL, ``JSON_GROUP_ARRAY``
    on SQLite (``make run``'s database), where ``ArraySubquery`` does not run."""

    function = "JSON_AGG"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = self.as_sql(compiler, connection, **extra)
        return f"{sql}::text", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def _count_of(queryset: QuerySet[Any]) -> Coalesce:
    counted = queryset.order_by().values("patient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _annotated_patients(patients: QuerySet[User]) -> QuerySet[User]:
    open_flags = Flag.objects.filter(patient=OuterRef("pk"), status=FlagStatus.OPEN)
    latest_review = (
        Review.objects.filter(patient=OuterRef("pk")).order_by("-reviewed_at").values("reviewed_at")
    )
    patients = patients.annotate(
        open_high=_count_of(open_flags.filter(severity=Severity.HIGH)),
        open_medium=_count_of(open_flags.filter(severity=Severity.MEDIUM)),
        open_low=_count_of(open_flags.filter(severity=Severity.LOW)),
        open_rules=Subquery(
            open_flags.order_by().values("patient").annotate(rules=JsonList("rule")).values("rules")
        ),
        reviewed_since=Coalesce(
            Subquery(latest_review[:1]), Value(_NEVER), output_field=DateTimeField()
        ),
    )
    unreviewed = []
    latest_moments = []
    for model in JOURNAL_MODELS:
        mine = model._default_manager.filter(patient=OuterRef("pk"))
        unreviewed.append(_count_of(mine.filter(created_at__gt=OuterRef("reviewed_since"))))
        newest = mine.order_by(f"-{model.moment_field}")  # each kind's (patient, moment) index
        moment = "bedtime" if model is SleepEntry else model.moment_field
        latest = Subquery(newest.values(moment)[:1])
        # SQLite's MAX(a, b) is null when any of them is (PostgreSQL's GREATEST skips nulls).
        latest_moments.append(Coalesce(latest, Value(_NEVER), output_field=DateTimeField()))
    first, *others = unreviewed
    total: Any = first
    for part in others:
        total = total + part
    return patients.annotate(
        unreviewed_entries=total,
        last_entry_at=Greatest(*latest_moments, output_field=DateTimeField()),
    )


def _utc_floor(day: date) -> datetime:
    """Early enough for the local day ``day`` in any zone (offsets stay within ±14 h)."""
    return datetime.combine(day, time.min, tzinfo=UTC) - timedelta(days=1)


def _mean(values: Iterable[Decimal]) -> Decimal | None:
    found = list(values)
    if not found:
        return None
    return half_up(sum(found, Decimal(0)) / len(found), ONE_DECIMAL)


def triage_rows(*, clinician: User, today: date | None = None, search: str = "") -> list[TriageRow]:
    """Every patient the clinician may see, with the triage figures, computed now, by name.
    Pages and the API read the kept figures instead (``triage_list``, in urgency order).

    ``today`` fixes the local date for every patient (tests); by default it is each
    patient's own local today. ``search`` keeps patients whose name or email contains it.
    """
    return _rows_for(_visible(clinician, search), today=today)


def _visible(clinician: User, search: str) -> QuerySet[User]:
    patients = patients_visible_to(clinician)
    if search.strip():
        term = search.strip()
        patients = patients.filter(Q(display_name__icontains=term) | Q(email__icontains=term))
    return patients


def _rows_for(patients: QuerySet[User], *, today: date | None) -> list[TriageRow]:
    """The figures of these patients, in a constant number of queries."""
    annotated = _annotated_patients(
        patients.select_related("patient_profile__clinic").order_by("display_name", "email")
    )

    rows: dict[Any, TriageRow] = {}
    for patient in annotated:
        figures: Any = patient  # carries the annotations above
        row = TriageRow(
            patient=patient,
            today=today or patient.patient_profile.local_now().date(),
            open_high=figures.open_high,
            open_medium=figures.open_medium,
            open_low=figures.open_low,
            open_flag_rules=sorted(json.loads(figures.open_rules or "[]")),
            unreviewed_entries=figures.unreviewed_entries,
            last_entry_at=None if figures.last_entry_at == _NEVER else figures.last_entry_at,
        )
        rows[patient.pk] = row
    if not rows:
        return []

    earliest = min(row.today for row in rows.values())
    latest = max(row.today for row in rows.values())
    since = _utc_floor(earliest - timedelta(days=2 * WEEK - 1))
    week_since = _utc_floor(earliest - timedelta(days=WEEK - 1))
    until = _utc_floor(latest + timedelta(days=2))
    # The ids read above, not the scope again: a patient who joined since has no row.
    ids = list(rows)

    def local_day(row: TriageRow, moment: datetime) -> date:
        return moment.astimezone(row.zone).date()

    def days_ago(row: TriageRow, day: date) -> int:
        return (row.today - day).days

    # Pain: daily means, then the mean of the days of each week.
    daily_pain: dict[Any, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    logged: dict[Any, set[date]] = defaultdict(set)
    pain = PainEntry.objects.filter(
        patient__in=ids, recorded_at__gte=since, recorded_at__lt=until
    ).values_list("patient_id", "recorded_at", "intensity")
    for patient_id, recorded_at, intensity in pain:
        row = rows[patient_id]
        day = local_day(row, recorded_at)
        if 0 <= days_ago(row, day) < 2 * WEEK:
            daily_pain[patient_id][day].append(intensity)
            if days_ago(row, day) < WEEK:
                logged[patient_id].add(day)
    for patient_id, days in daily_pain.items():
        row = rows[patient_id]
        means = {day: Decimal(sum(v)) / len(v) for day, v in days.items()}
        row.pain_7d_mean = _mean(m for day, m in means.items() if days_ago(row, day) < WEEK)
        row.pain_prev_7d_mean = _mean(
            m for day, m in means.items() if WEEK <= days_ago(row, day) < 2 * WEEK
        )

    # Kratom leaf grams per logged day of the last week.
    pegs = PegAssessment.objects.filter(
        patient__in=ids, recorded_at__gte=week_since, recorded_at__lt=until
    ).values_list("patient_id", "recorded_at")
    for patient_id, recorded_at in pegs:
        row = rows[patient_id]
        day = local_day(row, recorded_at)
        if 0 <= days_ago(row, day) < WEEK:
            logged[patient_id].add(day)
    leaf_g: dict[Any, Decimal] = defaultdict(Decimal)
    uses = UseEntry.objects.filter(
        patient__in=ids, taken_at__gte=week_since, taken_at__lt=until
    ).values_list("patient_id", "taken_at", "substance", "form", "amount")
    for patient_id, taken_at, substance, form, amount in uses:
        row = rows[patient_id]
        day = local_day(row, taken_at)
        if 0 <= days_ago(row, day) < WEEK:
            logged[patient_id].add(day)
            if is_kratom_leaf(substance, form):
                leaf_g[patient_id] += amount
    for patient_id, days_logged in logged.items():
        rows[patient_id].kratom_7d_g_per_day = half_up(
            leaf_g[patient_id] / len(days_logged), ONE_DECIMAL
        )

    # Sleep: the last few nights, newest first.
    efficiencies: dict[Any, list[Decimal]] = defaultdict(list)
    nights = (
        SleepEntry.objects.filter(
            patient__in=ids,
            night_of__gte=earliest - timedelta(days=RECENT_NIGHTS_WITHIN_DAYS),
            night_of__lte=latest,
        )
        .order_by("patient_id", "-night_of")
        .values_list(
            "patient_id",
            "night_of",
            "bedtime",
            "lights_out_at",
            "final_wake_at",
            "rise_at",
            "sleep_onset_latency_min",
            "wake_after_sleep_onset_min",
        )
    )
    for patient_id, night_of, bedtime, lights_out, final_wake, rise, sol, waso in nights:
        row = rows[patient_id]
        recent = 0 <= days_ago(row, night_of) <= RECENT_NIGHTS_WITHIN_DAYS
        if not recent or len(efficiencies[patient_id]) >= RECENT_NIGHTS:
            continue
        metrics = sleep_metrics(
            bedtime=bedtime,
            lights_out_at=lights_out,
            final_wake_at=final_wake,
            rise_at=rise,
            sleep_onset_latency_min=sol,
            wake_after_sleep_onset_min=waso,
        )
        efficiencies[patient_id].append(metrics.sleep_efficiency_pct)
    for patient_id, values in efficiencies.items():
        rows[patient_id].sleep_efficiency_recent = _mean(values)

    return list(rows.values())


# Orderings: a missing figure always sorts last, whichever the direction; ties by name.
_FIGURES = (
    "last_entry_at",
    "pain_7d_mean",
    "kratom_7d_g_per_day",
    "sleep_efficiency_recent",
    "unreviewed_entries",
)
ORDERINGS: tuple[str, ...] = (
    "urgency",
    "name",
    "-name",
    *(f"{sign}{name}" for name in _FIGURES for sign in ("", "-")),
)
DEFAULT_ORDERING = "urgency"


def _order_by(ordering: str) -> list[Any]:
    by_name = [Lower("patient__display_name"), Lower("patient__email")]
    if ordering == "urgency":
        return [
            F("severity_rank").desc(),
            F("open_total").desc(),
            F("unreviewed_entries").desc(),
            F("last_entry_at").desc(nulls_last=True),
            *by_name,
        ]
    if ordering == "name":
        return by_name
    if ordering == "-name":
        return [field.desc() for field in by_name]
    figure = F(ordering.lstrip("-"))
    if ordering.startswith("-"):
        return [figure.desc(nulls_last=True), *by_name]
    return [figure.asc(nulls_last=True), *by_name]


def triage_list(
    *,
    clinician: User,
    search: str = "",
    flagged: bool | None = None,
    not_logging: bool = False,
    ordering: str = DEFAULT_ORDERING,
    now: datetime | None = None,
) -> QuerySet[TriageSummary]:
    """The clinician's triage list, filtered and sorted in SQL, ready to page: a constant
    number of queries and rows read whatever the number of patients.

    ``flagged``: True keeps patients with an open flag, False those without. Raises
    ValueError for an ordering not in ``ORDERINGS``.
    """
    if ordering not in ORDERINGS:
        raise ValueError(f"Unknown ordering: {ordering}")
    now = now or timezone.now()
    summaries = summaries_current(_visible(clinician, search), now=now)
    if flagged is not None:
        with_open_flags = Q(open_total__gt=0)
        summaries = summaries.filter(with_open_flags if flagged else ~with_open_flags)
    if not_logging:
        summaries = summaries.filter(not_logging_from__lte=now)
    return summaries.select_related("patient__patient_profile__clinic").order_by(
        *_order_by(ordering)
    )


# The figures a TriageRow and a TriageSummary both carry, under the same names.
KEPT_FIGURES = (
    "open_high",
    "open_medium",
    "open_low",
    "unreviewed_entries",
    "last_entry_at",
    "pain_7d_mean",
    "pain_prev_7d_mean",
    "kratom_7d_g_per_day",
    "sleep_efficiency_recent",
)


def row_of(summary: TriageSummary) -> TriageRow:
    """A kept summary as the row pages and the API show."""
    return TriageRow(
        patient=summary.patient,
        today=summary.computed_for,
        open_flag_rules=list(summary.open_flag_rules),
        **{name: getattr(summary, name) for name in KEPT_FIGURES},
    )


# Kept summaries ------------------------------------------------------------------------------


def summaries_current(patients: QuerySet[User], *, now: datetime) -> QuerySet[TriageSummary]:
    """The summaries of these patients, each current: missing or stale ones are computed
    first. One query when all are current: the patients' ids, each with whether its summary
    is stale (resolved once, so the later queries need not plan the scope's joins again)."""
    stale = (
        Q(triage_summary__isnull=True)
        | Q(triage_summary__version__lt=F("patient_profile__journal_version"))
        | ~Q(triage_summary__timezone=F("patient_profile__timezone"))
        | Q(triage_summary__valid_until__lte=now)
    )
    rows = list(
        patients.annotate(stale=ExpressionWrapper(stale, output_field=BooleanField())).values_list(
            "pk", "patient_profile__journal_version", "stale"
        )
    )
    versions = {pk: version for pk, version, is_stale in rows if is_stale}
    if versions:
        summaries_refresh(versions)
    return TriageSummary.objects.filter(among("patient_id", [pk for pk, _, _ in rows]))


def summaries_refresh(versions: dict[Any, int]) -> None:
    """Compute and keep the summaries of these patients (id -> the ``journal_version`` read
    before computing: a change committed meanwhile leaves the row stale, never wrong)."""
    rows = _rows_for(User.objects.filter(pk__in=list(versions)), today=None)
    kept = [_summary(row, versions[row.patient.pk]) for row in rows]
    TriageSummary.objects.bulk_create(
        kept,
        update_conflicts=True,
        unique_fields=["patient"],
        update_fields=[f.name for f in TriageSummary._meta.concrete_fields if not f.primary_key],
    )


def _summary(row: TriageRow, version: int) -> TriageSummary:
    zone = row.zone
    if row.last_entry_at is None:
        not_logging_from = _NEVER
    else:
        last_day = row.last_entry_at.astimezone(zone).date()
        not_logging_from = local_midnight(last_day + timedelta(days=NOT_LOGGING_DAYS), zone)
    return TriageSummary(
        patient=row.patient,
        version=version,
        timezone=row.patient.patient_profile.timezone,
        computed_for=row.today,
        valid_until=local_midnight(row.today + timedelta(days=1), zone),
        open_total=row.open_flags_total,
        severity_rank=row.severity_rank,
        open_flag_rules=row.open_flag_rules,
        not_logging_from=not_logging_from,
        **{name: getattr(row, name) for name in KEPT_FIGURES},
    )


def journal_changed(patient_id: Any) -> None:
    """Every change to a patient's entries, flags or reviews makes their summary stale. In
    the writer's transaction: the version and the change commit together."""
    PatientProfile.objects.filter(user_id=patient_id).update(
        journal_version=F("journal_version") + 1
    )


def _changed(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        journal_changed(instance.patient_id)


def connect_signals() -> None:
    """Saves and deletes through the ORM; a ``QuerySet.update()`` caller calls
    ``journal_changed`` itself."""
    watched: list[type[Model]] = [*JOURNAL_MODELS, Flag, Review]
    for model in watched:
        uid = f"journals.triage.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
