"""The flags' writes: evaluation (load one patient's snapshot, run the rules, upsert the
findings), and the care team's threshold overrides, acknowledgements, resolutions and reviews."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from journals.flags.rules import (
    ABSENCE_RULES,
    LOOKBACK_DAYS,
    SEVERITY,
    Dose,
    Evidence,
    Finding,
    History,
    Night,
    PainReading,
    evidence_of,
    findings_for,
)
from journals.models import (
    NOTE_MAX,
    Flag,
    FlagStatus,
    JournalEntry,
    PainEntry,
    PatientThresholds,
    PegAssessment,
    Review,
    Rule,
    SleepEntry,
    UseEntry,
)
from journals.queue import flags_evaluate_on_commit
from journals.selectors import entries_in_local_dates, history_index
from journals.thresholds import THRESHOLD_FIELDS, effective_thresholds
from patients import audit
from patients.models import AuditAction, Role, User

# Loading the snapshot --------------------------------------------------------------------


def _dose(u: UseEntry, zone: ZoneInfo) -> Dose:
    return Dose(
        id=u.id,
        at=u.taken_at.astimezone(zone),
        substance=u.substance,
        form=u.form,
        amount=u.amount,
        unit=u.unit,
        reason=u.reason,
    )


def _pain(p: PainEntry, zone: ZoneInfo) -> PainReading:
    return PainReading(id=p.id, at=p.recorded_at.astimezone(zone), intensity=p.intensity)


def _night(s: SleepEntry, zone: ZoneInfo) -> Night:
    return Night(
        id=s.id,
        night_of=s.night_of,
        at=s.bedtime.astimezone(zone),
        logged_on=s.rise_at.astimezone(zone).date(),
        efficiency_pct=s.sleep_efficiency_pct,
        total_sleep_min=s.total_sleep_min,
    )


def history_load(*, patient: User, zone: ZoneInfo, today: date) -> History:
    """The snapshot the rules read: five queries, whatever the journal's length."""
    since = today - timedelta(days=LOOKBACK_DAYS - 1)

    def scoped(model: type[JournalEntry]) -> QuerySet[Any]:
        queryset = model._default_manager.filter(patient=patient)
        return entries_in_local_dates(queryset, zone=zone, since=since, until=today)

    doses = tuple(_dose(u, zone) for u in scoped(UseEntry).order_by("taken_at", "id"))
    pains = tuple(_pain(p, zone) for p in scoped(PainEntry).order_by("recorded_at", "id"))
    nights = tuple(_night(s, zone) for s in scoped(SleepEntry).order_by("night_of", "id"))
    peg_days = [
        at.astimezone(zone).date()
        for at in scoped(PegAssessment).values_list("recorded_at", flat=True)
    ]
    logged = {d.day for d in doses} | {p.day for p in pains} | {n.logged_on for n in nights}
    logged |= {d for d in peg_days if d <= today}
    kinds: dict[str, QuerySet[JournalEntry]] = {
        kind: model._default_manager.filter(patient=patient)
        for kind, model in (
            ("pain", PainEntry),
            ("peg", PegAssessment),
            ("sleep", SleepEntry),
            ("use", UseEntry),
        )
    }
    latest = history_index(kinds, zone=zone, since=None, until=today).first()
    last_entry = (
        (latest["id"], latest["kind"], latest["moment"].astimezone(zone)) if latest else None
    )
    return History(
        zone=zone,
        doses=doses,
        pains=pains,
        nights=nights,
        logged_days=frozenset(d for d in logged if since <= d <= today),
        last_entry=last_entry,
    )


# Evidence kept against the entry now -------------------------------------------------------


def evidence_now(entry: JournalEntry, zone: ZoneInfo) -> Evidence:
    """The evidence a rule would record of ``entry`` as it is now."""
    if isinstance(entry, UseEntry):
        return _dose(entry, zone).evidence()
    if isinstance(entry, PainEntry):
        return _pain(entry, zone).evidence()
    if isinstance(entry, SleepEntry):
        return _night(entry, zone).evidence()
    if isinstance(entry, PegAssessment):  # only ever the last entry before a gap
        return evidence_of(entry.pk, "peg", entry.recorded_at.astimezone(zone), {})
    raise TypeError(f"No evidence for {type(entry).__name__}")


def evidence_changed(item: Mapping[str, Any], entry: JournalEntry, zone: ZoneInfo) -> bool:
    """Whether ``entry`` has changed since a flag recorded ``item`` of it: its moment, or a
    value the rule saw (values the rule did not record do not count)."""
    now = evidence_now(entry, zone)
    try:
        moved = datetime.fromisoformat(str(item.get("at"))) != datetime.fromisoformat(now["at"])
    except ValueError:
        moved = True
    seen = item.get("values")
    seen = seen if isinstance(seen, Mapping) else {}
    return moved or any(now["values"].get(name, value) != value for name, value in seen.items())


# Evaluation ------------------------------------------------------------------------------


def _mergeevidence_of(old: Iterable[Evidence], new: Iterable[Evidence]) -> list[Evidence]:
    by_id: dict[str, Evidence] = {}
    for item in [*old, *new]:
        by_id.setdefault(item["entry_id"], item)
    return sorted(by_id.values(), key=lambda e: (e["at"], e["entry_id"]))


def _new_occurrences(rule: Rule, findings: list[Finding], closed: list[Flag]) -> list[Finding]:
    """The findings a closed flag of the rule has not already shown the care team."""
    if not closed:
        return findings
    if rule in ABSENCE_RULES:
        last_end = max(flag.window_end for flag in closed)
        return [f for f in findings if f.window_start > last_end]
    seen = {item["entry_id"] for flag in closed for item in flag.evidence}
    return [f for f in findings if not f.entry_ids <= seen]


def _upsert(*, patient: User, rule: Rule, findings: list[Finding], open_flag: Flag | None) -> Flag:
    start = min(f.window_start for f in findings)
    end = max(f.window_end for f in findings)
    evidence = _mergeevidence_of([], [e for f in findings for e in f.evidence])
    if open_flag is None:
        try:
            with transaction.atomic():
                return Flag.objects.create(
                    patient=patient,
                    rule=rule,
                    severity=SEVERITY[rule],
                    window_start=start,
                    window_end=end,
                    evidence=evidence,
                )
        except IntegrityError:
            # Another evaluation opened it since we looked: extend theirs instead.
            open_flag = (
                Flag.objects.select_for_update()
                .filter(patient=patient, rule=rule, status=FlagStatus.OPEN)
                .get()
            )
    merged = _mergeevidence_of(open_flag.evidence, evidence)
    start, end = min(start, open_flag.window_start), max(end, open_flag.window_end)
    if (merged, start, end) != (open_flag.evidence, open_flag.window_start, open_flag.window_end):
        open_flag.evidence, open_flag.window_start, open_flag.window_end = merged, start, end
        open_flag.save(update_fields=["evidence", "window_start", "window_end", "updated_at"])
    return open_flag


@transaction.atomic
def flags_evaluate(*, patient_id: uuid.UUID | str, today: date | None = None) -> list[Flag]:
    """Run every rule over a patient's recent entries; open or extend their flags.

    ``today`` is the patient's local date (default: now in their zone). Returns the open
    flags the findings touched. Idempotent: a second run with nothing new writes nothing.
    Two evaluations at once cannot open two flags of one rule: the open flags are locked,
    and the database's one-open-per-rule constraint catches a concurrent insert.
    """
    patient = (
        User.objects.select_related("patient_profile")
        .filter(pk=patient_id, role=Role.PATIENT)
        .first()
    )
    if patient is None:
        return []
    zone = patient.patient_profile.zone
    if today is None:
        today = timezone.now().astimezone(zone).date()
    thresholds = effective_thresholds(patient=patient)
    history = history_load(patient=patient, zone=zone, today=today)
    by_rule: dict[Rule, list[Finding]] = defaultdict(list)
    for finding in findings_for(history, thresholds, today):
        by_rule[finding.rule].append(finding)
    if not by_rule:
        return []
    flags = list(Flag.objects.select_for_update().filter(patient=patient, rule__in=list(by_rule)))
    touched = []
    for rule, findings in by_rule.items():
        closed = [f for f in flags if f.rule == rule and f.status != FlagStatus.OPEN]
        open_flag = next((f for f in flags if f.rule == rule and f.status == FlagStatus.OPEN), None)
        new = _new_occurrences(rule, findings, closed)
        if new:
            touched.append(_upsert(patient=patient, rule=rule, findings=new, open_flag=open_flag))
    return touched


def patients_to_sweep() -> QuerySet[User]:
    """Active patients who have logged anything: the periodic sweep evaluates each."""
    logged = Q()
    for model in (PainEntry, PegAssessment, SleepEntry, UseEntry):
        logged |= Q(Exists(model._default_manager.filter(patient=OuterRef("pk"))))
    return User.objects.filter(logged, role=Role.PATIENT, is_active=True)


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
    flags_evaluate_on_commit(patient.pk)
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
