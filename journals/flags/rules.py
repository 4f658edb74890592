"""Safety flags (CLINICAL.md, "Safety signals"): the rules, and their evaluation.

Each rule is a pure function ``(history, thresholds, today) -> list[Finding]`` over a plain
snapshot of one patient's recent entries (no ORM inside a rule). ``flags_evaluate`` loads
the snapshot in a constant number of queries, runs every rule and upserts the findings into
``Flag`` rows: at most one open flag per patient and rule, idempotently.

Choices the table leaves open, made here:

- The snapshot covers the ``LOOKBACK_DAYS`` (42) local days ending today, enough for the
  longest window (escalation: 7 recent days after a 28-day baseline). Older entries are
  never re-flagged.
- Local days are the patient's zone. A dose belongs to the local date it was taken on; a
  sleep diary to its ``night_of``. Durations (co-use) are real elapsed time, in UTC.
- Event rules (co_use, seven_oh_product, high_single_dose, high_daily_total, frequent_use,
  withdrawal, the pain_high part of pain_worsening) scan the whole snapshot. Trend rules
  (escalation, the mean part of pain_worsening, poor_sleep, stopped_logging) are judged as
  of ``today``: the sweep re-evaluates every patient hourly, so a trend is caught while it
  holds.
- A flag keeps the evidence it was shown, even if an entry is later changed or deleted:
  the clinician closes it. ``evidence_changed`` tells whether an entry has changed since.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from journals.choices import KRATOM_LEAF_FORMS, Form, Reason, Substance
from journals.models import (
    Rule,
    Severity,
)
from journals.safety import co_use_pairs
from journals.thresholds import Thresholds

LOOKBACK_DAYS = 42
RECENT_DAYS = 7  # escalation: the recent window
BASELINE_DAYS = 28  # escalation and pain_worsening: the window before it
MIN_BASELINE_DAYS = 14  # escalation: days of baseline the patient must have been logging
PAIN_RECENT_DAYS = 3
PAIN_MIN_RECENT_READINGS = 2
PAIN_MIN_BASELINE_READINGS = 7
SLEEP_NIGHTS = 5  # poor_sleep: the last five nights
SLEEP_POOR_NIGHTS = 3
WITHDRAWAL_DAILY_USE_DAYS = 14
WITHDRAWAL_ABSTINENT_DAYS = 2

Evidence = dict[str, Any]


# The snapshot ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dose:
    id: uuid.UUID
    at: datetime  # local, aware
    substance: str
    form: str
    amount: Decimal
    unit: str
    reason: str

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def is_kratom(self) -> bool:
        return self.substance == Substance.KRATOM

    @property
    def leaf_g(self) -> Decimal:
        """Grams of kratom leaf in this dose; 0 for anything else (extracts are not grams)."""
        if self.is_kratom and self.form in KRATOM_LEAF_FORMS:
            return self.amount
        return Decimal(0)

    def evidence(self) -> Evidence:
        return evidence_of(
            self.id,
            "use",
            self.at,
            {
                "substance": self.substance,
                "form": self.form,
                "amount": str(self.amount),
                "unit": self.unit,
                "reason": self.reason,
            },
        )


@dataclass(frozen=True)
class PainReading:
    id: uuid.UUID
    at: datetime
    intensity: int

    @property
    def day(self) -> date:
        return self.at.date()

    def evidence(self) -> Evidence:
        return evidence_of(self.id, "pain", self.at, {"intensity": self.intensity})


@dataclass(frozen=True)
class Night:
    id: uuid.UUID
    night_of: date
    at: datetime  # local bedtime
    logged_on: date  # local date of rising, when the diary is written
    efficiency_pct: Decimal
    total_sleep_min: int

    def evidence(self) -> Evidence:
        return evidence_of(
            self.id,
            "sleep",
            self.at,
            {
                "night_of": self.night_of.isoformat(),
                "sleep_efficiency_pct": str(self.efficiency_pct),
                "total_sleep_min": self.total_sleep_min,
            },
        )


@dataclass(frozen=True)
class History:
    """One patient's recent entries, oldest first, in local time."""

    zone: ZoneInfo
    doses: tuple[Dose, ...] = ()
    pains: tuple[PainReading, ...] = ()
    nights: tuple[Night, ...] = ()
    # Local days on which anything (including a weekly PEG) was logged, in the snapshot.
    logged_days: frozenset[date] = frozenset()
    # The latest entry ever, for stopped_logging: (id, kind, local moment), or None.
    last_entry: tuple[uuid.UUID, str, datetime] | None = None


@dataclass(frozen=True)
class Finding:
    rule: Rule
    severity: Severity
    window_start: date
    window_end: date
    evidence: tuple[Evidence, ...] = field(default=())

    @property
    def entry_ids(self) -> frozenset[str]:
        return frozenset(e["entry_id"] for e in self.evidence)


def evidence_of(entry_id: uuid.UUID, kind: str, at: datetime, values: dict[str, Any]) -> Evidence:
    return {"entry_id": str(entry_id), "kind": kind, "at": at.isoformat(), "values": values}


def _finding(rule: Rule, items: Sequence[Dose | PainReading | Night]) -> Finding:
    days = [item.night_of if isinstance(item, Night) else item.day for item in items]
    return Finding(
        rule=rule,
        severity=SEVERITY[rule],
        window_start=min(days),
        window_end=max(days),
        evidence=tuple(item.evidence() for item in items),
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _leaf_by_day(history: History) -> dict[date, Decimal]:
    totals: dict[date, Decimal] = defaultdict(Decimal)
    for dose in history.doses:
        totals[dose.day] += dose.leaf_g
    return totals


# The rules -------------------------------------------------------------------------------


def rule_co_use(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """Kratom taken within ``co_use_window_hours`` (inclusive) of a sedating substance, in
    either order; one finding per pair."""
    window = timedelta(hours=thresholds.co_use_window_hours)
    return [
        _finding(Rule.CO_USE, sorted(pair, key=lambda d: d.at))
        for pair in co_use_pairs(history.doses, at=lambda d: d.at, window=window)
    ]


def rule_seven_oh_product(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """Any kratom entry with form ``seven_oh``."""
    return [
        _finding(Rule.SEVEN_OH_PRODUCT, [d])
        for d in history.doses
        if d.is_kratom and d.form == Form.SEVEN_OH
    ]


def rule_high_single_dose(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """One leaf dose strictly above ``single_dose_g``."""
    return [
        _finding(Rule.HIGH_SINGLE_DOSE, [d])
        for d in history.doses
        if d.leaf_g > thresholds.single_dose_g
    ]


def _kratom_days(history: History) -> dict[date, list[Dose]]:
    by_day: dict[date, list[Dose]] = defaultdict(list)
    for dose in history.doses:
        if dose.is_kratom:
            by_day[dose.day].append(dose)
    return by_day


def rule_high_daily_total(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """Leaf grams in one local day strictly above ``daily_total_g``; evidence: the day's
    leaf doses."""
    findings = []
    for doses in _kratom_days(history).values():
        leaf = [d for d in doses if d.leaf_g]
        if sum((d.leaf_g for d in leaf), Decimal(0)) > thresholds.daily_total_g:
            findings.append(_finding(Rule.HIGH_DAILY_TOTAL, leaf))
    return findings


def rule_frequent_use(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """``frequent_doses_per_day`` or more kratom doses (any form) in one local day."""
    return [
        _finding(Rule.FREQUENT_USE, doses)
        for doses in _kratom_days(history).values()
        if len(doses) >= thresholds.frequent_doses_per_day
    ]


def rule_escalation(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """As of today: the mean daily leaf grams of the 7 complete local days ending yesterday
    is at least ``escalation_ratio`` × the mean of the 28 days before, and at least
    ``escalation_min_increase_g`` more. Today is left out: a day not over would understate
    the recent mean.

    The baseline counts only days since the patient's first entry in the snapshot (of any
    kind: a logged day without kratom is a real 0 g), and needs at least 14 of them.
    Evidence: the recent window's leaf doses.
    """
    if not history.logged_days:
        return []
    recent_end = today - timedelta(days=1)
    recent_start = recent_end - timedelta(days=RECENT_DAYS - 1)
    baseline_start = recent_start - timedelta(days=BASELINE_DAYS)
    first_logged = min(history.logged_days)
    baseline = [
        d for d in _days(baseline_start, recent_start - timedelta(days=1)) if d >= first_logged
    ]
    if len(baseline) < MIN_BASELINE_DAYS:
        return []
    totals = _leaf_by_day(history)
    baseline_mean = sum((totals.get(d, Decimal(0)) for d in baseline), Decimal(0)) / len(baseline)
    recent_days = _days(recent_start, recent_end)
    recent_mean = sum((totals.get(d, Decimal(0)) for d in recent_days), Decimal(0)) / len(
        recent_days
    )
    if (
        recent_mean >= thresholds.escalation_ratio * baseline_mean
        and recent_mean - baseline_mean >= thresholds.escalation_min_increase_g
    ):
        doses = [d for d in history.doses if d.leaf_g and recent_start <= d.day <= recent_end]
        if doses:
            return [_finding(Rule.ESCALATION, doses)]
    return []


def rule_withdrawal(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """A kratom dose logged with reason ``withdrawal``; or 2 complete local days without
    kratom right after 14 days each with kratom, together with a night of those two days
    (``night_of`` on either) with SE below ``poor_sleep_efficiency_pct``.

    Evidence for the second: the last kratom dose before the pause and the poor nights.
    """
    findings = [
        _finding(Rule.WITHDRAWAL, [d])
        for d in history.doses
        if d.is_kratom and d.reason == Reason.WITHDRAWAL
    ]
    by_day = _kratom_days(history)
    nights = {n.night_of: n for n in history.nights}
    for first_off in sorted({d.day + timedelta(days=1) for d in history.doses if d.is_kratom}):
        pause = _days(first_off, first_off + timedelta(days=WITHDRAWAL_ABSTINENT_DAYS - 1))
        if pause[-1] >= today or any(day in by_day for day in pause):
            continue  # the pause is not over yet, or was not a pause
        before = _days(first_off - timedelta(days=WITHDRAWAL_DAILY_USE_DAYS), first_off)[:-1]
        if not all(day in by_day for day in before):
            continue
        poor = [
            nights[day]
            for day in pause
            if day in nights and nights[day].efficiency_pct < thresholds.poor_sleep_efficiency_pct
        ]
        if poor:
            last_dose = max(by_day[before[-1]], key=lambda d: d.at)
            findings.append(_finding(Rule.WITHDRAWAL, [last_dose, *poor]))
    return findings


def rule_pain_worsening(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """Any NRS at or above ``pain_high``; or, as of today, the mean NRS of the 3 local days
    ending today at least ``pain_rise_points`` above the mean of the 28 days before.

    The means need at least 2 readings in the 3 days and 7 in the 28 days.
    Evidence for the second: the recent readings.
    """
    findings = [
        _finding(Rule.PAIN_WORSENING, [p])
        for p in history.pains
        if p.intensity >= thresholds.pain_high
    ]
    recent_start = today - timedelta(days=PAIN_RECENT_DAYS - 1)
    baseline_start = recent_start - timedelta(days=BASELINE_DAYS)
    recent = [p for p in history.pains if recent_start <= p.day <= today]
    baseline = [p for p in history.pains if baseline_start <= p.day < recent_start]
    if len(recent) >= PAIN_MIN_RECENT_READINGS and len(baseline) >= PAIN_MIN_BASELINE_READINGS:
        recent_mean = Decimal(sum(p.intensity for p in recent)) / len(recent)
        baseline_mean = Decimal(sum(p.intensity for p in baseline)) / len(baseline)
        if recent_mean - baseline_mean >= thresholds.pain_rise_points:
            findings.append(_finding(Rule.PAIN_WORSENING, recent))
    return findings


def _poor_night(night: Night, thresholds: Thresholds) -> bool:
    return (
        night.efficiency_pct < thresholds.poor_sleep_efficiency_pct
        or night.total_sleep_min < thresholds.poor_sleep_total_min
    )


def rule_poor_sleep(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """As of today: SE below ``poor_sleep_efficiency_pct`` or TST below
    ``poor_sleep_total_min`` on 3 of the last 5 nights (``night_of`` from 5 days ago to
    yesterday; a night not logged is not a poor one). Evidence: the poor nights."""
    first = today - timedelta(days=SLEEP_NIGHTS)
    poor = [n for n in history.nights if first <= n.night_of < today and _poor_night(n, thresholds)]
    if len(poor) >= SLEEP_POOR_NIGHTS:
        return [_finding(Rule.POOR_SLEEP, poor)]
    return []


def rule_stopped_logging(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    """Nothing logged on the ``stopped_logging_days`` complete local days before today (nor
    today so far) by a patient who logged before. The window is the gap, from the day after
    the last logged day to today; the evidence is the last entry."""
    if history.last_entry is None:
        return []
    entry_id, kind, at = history.last_entry
    last_day = max(history.logged_days) if history.logged_days else at.date()
    if (today - last_day).days <= thresholds.stopped_logging_days:
        return []
    return [
        Finding(
            rule=Rule.STOPPED_LOGGING,
            severity=SEVERITY[Rule.STOPPED_LOGGING],
            window_start=last_day + timedelta(days=1),
            window_end=today,
            evidence=(evidence_of(entry_id, kind, at, {}),),
        )
    ]


RuleFunction = Callable[[History, Thresholds, date], list[Finding]]

RULES: dict[Rule, RuleFunction] = {
    Rule.CO_USE: rule_co_use,
    Rule.SEVEN_OH_PRODUCT: rule_seven_oh_product,
    Rule.HIGH_SINGLE_DOSE: rule_high_single_dose,
    Rule.HIGH_DAILY_TOTAL: rule_high_daily_total,
    Rule.ESCALATION: rule_escalation,
    Rule.FREQUENT_USE: rule_frequent_use,
    Rule.WITHDRAWAL: rule_withdrawal,
    Rule.PAIN_WORSENING: rule_pain_worsening,
    Rule.POOR_SLEEP: rule_poor_sleep,
    Rule.STOPPED_LOGGING: rule_stopped_logging,
}

SEVERITY: dict[Rule, Severity] = {
    Rule.CO_USE: Severity.HIGH,
    Rule.SEVEN_OH_PRODUCT: Severity.HIGH,
    Rule.HIGH_SINGLE_DOSE: Severity.MEDIUM,
    Rule.HIGH_DAILY_TOTAL: Severity.HIGH,
    Rule.ESCALATION: Severity.MEDIUM,
    Rule.FREQUENT_USE: Severity.MEDIUM,
    Rule.WITHDRAWAL: Severity.MEDIUM,
    Rule.PAIN_WORSENING: Severity.MEDIUM,
    Rule.POOR_SLEEP: Severity.LOW,
    Rule.STOPPED_LOGGING: Severity.LOW,
}

# Rules about absence: a new occurrence is a new gap, not new entries.
ABSENCE_RULES = frozenset({Rule.STOPPED_LOGGING})


def findings_for(history: History, thresholds: Thresholds, today: date) -> list[Finding]:
    return [f for rule in RULES.values() for f in rule(history, thresholds, today)]
