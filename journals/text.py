"""Words and numbers for people, shared by pages, emails and exports: amounts with their
units, durations, one-decimal figures, and an entry described in a sentence."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from journals.choices import (
    Form,
    MixedWith,
    PainLocation,
    Reason,
    SleepQuality,
    Substance,
    in_sentence,
    unit_name,
    use_form_for,
)
from journals.metrics import ONE_DECIMAL, half_up
from journals.models import JournalEntry, PainEntry, PegAssessment, SleepEntry, UseEntry


def plain_number(value: Decimal | int) -> str:
    """3.500 -> "3.5", 10.000 -> "10", 5 -> "5" (``normalize`` would give "1E+1")."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def amount_text(amount: Decimal, unit: str) -> str:
    """An amount with its unit, as Today and History write it: "2.5 g", "1 tablet"."""
    return f"{plain_number(amount)} {unit_name(unit, amount)}"


def form_text(*, substance: str, form: str, unit: str) -> str:
    """The form in words, or "" when it is the one a check-in fills in (alcohol's "liquid",
    a kratom form of "other"): it would tell nothing the patient chose."""
    if form == use_form_for(substance=substance, unit=unit):
        return ""
    return in_sentence(Form(form).label) if form in Form.values else form


def format_decimal(value: Decimal | float | int) -> str:
    """One decimal, half up: ``5.25`` reads ``5.3``."""
    return str(half_up(Decimal(str(value)), ONE_DECIMAL))


def format_minutes(minutes: Decimal | float | int) -> str:
    """A duration in whole minutes as hours and minutes: ``6 h 5 min``, ``45 min``, ``7 h``."""
    total = int(half_up(Decimal(str(minutes))))
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


# What a row and a page call each kind: (heading, noun in a sentence).
KIND_NAMES = {
    "pain": ("Pain", "pain entry"),
    "peg": ("Weekly pain check (PEG)", "weekly pain check"),
    "sleep": ("Sleep diary", "sleep diary"),
    "use": ("Use", "use entry"),
}


@dataclass(frozen=True)
class HistoryRow:
    kind: str
    entry: JournalEntry
    day: date
    moment: datetime
    heading: str
    summary: str


def history_row(kind: str, entry: JournalEntry, day: date, moment: datetime) -> HistoryRow:
    return HistoryRow(
        kind=kind,
        entry=entry,
        day=day,
        moment=moment,
        heading=KIND_NAMES[kind][0],
        summary=describe(entry),
    )


def describe(entry: JournalEntry) -> str:
    """The key values of an entry in words, for a patient reading their own journal."""
    if isinstance(entry, PainEntry):
        parts = _describe_pain(entry)
    elif isinstance(entry, PegAssessment):
        parts = _describe_peg(entry)
    elif isinstance(entry, SleepEntry):
        parts = _describe_sleep(entry)
    elif isinstance(entry, UseEntry):
        parts = _describe_use(entry)
    else:
        raise TypeError(f"No description for {type(entry).__name__}")
    return " · ".join(parts)


def _describe_pain(entry: PainEntry) -> list[str]:
    parts = [f"Pain {entry.intensity}/10"]
    if entry.locations:
        places = [_label(PainLocation, value) for value in entry.locations]
        parts.append(", ".join(places).capitalize())
    return parts


def _describe_peg(entry: PegAssessment) -> list[str]:
    return [
        f"Pain on average {entry.pain_average}/10",
        f"interference with enjoyment of life {entry.enjoyment_interference}/10",
        f"with general activity {entry.activity_interference}/10",
        f"PEG score {entry.score}",
    ]


def _describe_sleep(entry: SleepEntry) -> list[str]:
    bedtime, rise = timezone.localtime(entry.bedtime), timezone.localtime(entry.rise_at)
    return [
        _night_of(entry.night_of),
        f"in bed {bedtime:%H:%M} → up {rise:%H:%M}",
        _total_sleep(entry.total_sleep_min),
        f"efficiency {entry.sleep_efficiency_pct}%",
        f"quality {SleepQuality(entry.quality).label}",
    ]


def _night_of(night: date) -> str:
    return f"Night of {night:%a} {night.day} {night:%b}"


def _total_sleep(minutes: int) -> str:
    return f"total sleep {format_minutes(minutes)}"


def _describe_use(entry: UseEntry) -> list[str]:
    """What the patient chose: no form a check-in filled in, no "mixed with nothing"."""
    dose = _dose(entry.substance, entry.amount, entry.unit, entry.form)
    if entry.product:
        dose += f" ({entry.product})"
    parts = [dose]
    if entry.mixed_with != MixedWith.NONE:
        parts.append(f"mixed with {in_sentence(_label(MixedWith, entry.mixed_with))}")
    if entry.reason:
        parts.append(_reason(entry.reason))
    return parts


def _dose(substance: str, amount: Decimal, unit: str, form: str) -> str:
    """E.g. "Kratom 3.5 g powder", "Alcohol 1 standard drink"."""
    words = f"{_label(Substance, substance)} {amount_text(amount, unit)}"
    shown_form = form_text(substance=substance, form=form, unit=unit)
    return f"{words} {shown_form}" if shown_form else words


def _reason(reason: str) -> str:
    return f"for {in_sentence(_label(Reason, reason))}"


def describe_seen(values: Mapping[str, Any]) -> str:
    """The values a flag's rule saw of an entry (its evidence, ``journals.flags``) in the
    words ``describe`` uses; a value it has no words for shows as its name and value."""
    seen = dict(values)
    parts: list[str] = []
    try:
        if {"substance", "amount", "unit", "form"} <= seen.keys():
            amount = Decimal(str(seen.pop("amount")))
            parts.append(_dose(seen.pop("substance"), amount, seen.pop("unit"), seen.pop("form")))
        if seen.get("reason"):
            parts.append(_reason(seen.pop("reason")))
        if "intensity" in seen:
            parts.append(f"Pain {seen.pop('intensity')}/10")
        if "night_of" in seen:
            parts.append(_night_of(date.fromisoformat(seen.pop("night_of"))))
        if "total_sleep_min" in seen:
            parts.append(_total_sleep(int(seen.pop("total_sleep_min"))))
        if "sleep_efficiency_pct" in seen:
            parts.append(f"efficiency {seen.pop('sleep_efficiency_pct')}%")
    except (ArithmeticError, TypeError, ValueError):  # not as the flag engine writes them
        parts, seen = [], dict(values)
    shown = {name: value for name, value in seen.items() if value not in ("", None)}
    return " · ".join([*parts, *(f"{n.replace('_', ' ')} {shown[n]}" for n in sorted(shown))])


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
