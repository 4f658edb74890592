"""The safety notes a patient reads (CLINICAL.md, "What the patient reads").

Short, neutral, never blocking and never a dose recommendation: a note says what was logged
and that the care team can see it. Pure functions over the patient's use entries, and one
selector, ``uses_for_notes``, that loads everything they need for one local day.

- Co-use (``co_use_pairs``, the one definition the ``co_use`` flag, the clinician's chart and
  this note share): kratom (any form) and alcohol or a sedative (benzodiazepine, opioid,
  gabapentinoid, other sedative) taken within the window of each other, in either order,
  across midnight (kratom at 23:30 and drinks at 00:30 is the before-bed case). Both on one
  calendar day but further apart is not co-use. A pair marks both its local days. Cannabis
  does not count. The window is the patient's, as their flag has it: CLINICAL.md's 6 hours,
  or the care team's override.
- Above the usual range: a kratom leaf dose (powder, capsule or tea, in grams) larger than the
  highest single leaf dose of the 28 days before it, provided at least 5 leaf doses were logged
  in those 28 days (with fewer there is no usual range yet, and no note). Extract and 7-OH
  milligrams are not comparable with leaf grams and never count, on either side.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from journals.choices import SEDATING_SUBSTANCES, Substance, Unit
from journals.models import UseEntry
from journals.selectors import entries_in_local_dates
from journals.thresholds import CLINICAL_DEFAULTS
from patients.models import User

CO_USE_WINDOW = timedelta(hours=CLINICAL_DEFAULTS.co_use_window_hours)
USUAL_RANGE_WINDOW = timedelta(days=28)
USUAL_RANGE_MIN_DOSES = 5


@dataclass(frozen=True)
class SafetyNote:
    kind: str
    title: str
    text: str


CO_USE_LABEL = "Kratom with alcohol or a sedative"  # the clinician's chart marks
CO_USE = SafetyNote(
    kind="co_use",
    title="Kratom with alcohol or sedatives",
    text=(
        "Kratom combined with alcohol or other sedatives, especially before bed, raises the "
        "risk of dangerous sedation and slowed breathing. Your care team can see this entry."
    ),
)
ABOVE_USUAL = SafetyNote(
    kind="above_usual",
    title="More than usual",
    text="This is more than you usually log. Your care team can see it.",
)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def leaf_grams(use: UseEntry) -> Decimal | None:
    """The grams of a kratom leaf dose; None for anything else."""
    return use.amount if use.is_kratom_leaf and use.unit == Unit.G else None


class Taken(Protocol):
    @property
    def substance(self) -> str: ...


T = TypeVar("T", bound=Taken)


def co_use_pairs(
    uses: Iterable[T], *, at: Callable[[T], datetime], window: timedelta
) -> list[tuple[T, T]]:
    """Every (kratom, alcohol or sedative) pair taken within ``window`` (inclusive) of each
    other, in either order, across midnight: co-use, as CLINICAL.md defines it. Real elapsed
    time: in UTC, since Python subtracts two times of one zone on the wall clock (a DST
    night would gain or lose an hour)."""
    kratom = [use for use in uses if use.substance == Substance.KRATOM]
    sedating = [use for use in uses if use.substance in SEDATING_SUBSTANCES]
    return [
        (k, s)
        for k in kratom
        for s in sedating
        if abs(at(k).astimezone(UTC) - at(s).astimezone(UTC)) <= window
    ]


def co_use_days(
    uses: Iterable[UseEntry], *, zone: ZoneInfo, window: timedelta = CO_USE_WINDOW
) -> set[date]:
    """The local days of both doses of every co-use pair (``co_use_pairs``)."""
    pairs = co_use_pairs(uses, at=lambda use: use.taken_at, window=window)
    return {local_day(use.taken_at, zone) for pair in pairs for use in pair}


def patient_co_use_days(*, patient: User, since: date, until: date, window_hours: int) -> set[date]:
    """The patient's co-use days from ``since`` to ``until`` with the care team's window (the
    ``co_use`` flag's), as the clinician's chart marks them: one query."""
    zone = patient.patient_profile.zone
    uses = entries_in_local_dates(
        UseEntry.objects.filter(
            patient=patient, substance__in=[Substance.KRATOM, *SEDATING_SUBSTANCES]
        ).only("taken_at", "substance"),
        zone=zone,
        since=since - timedelta(days=1),  # a pair across the first or the last midnight
        until=until + timedelta(days=1),
    )
    days = co_use_days(uses, zone=zone, window=timedelta(hours=window_hours))
    return {day for day in days if since <= day <= until}


def usual_leaf_max(uses: Iterable[UseEntry], *, before: datetime) -> Decimal | None:
    """The highest leaf dose of the 28 days before ``before``; None with fewer than 5 doses."""
    start = before - USUAL_RANGE_WINDOW
    doses = [
        grams
        for use in uses
        if start <= use.taken_at < before and (grams := leaf_grams(use)) is not None
    ]
    return max(doses) if len(doses) >= USUAL_RANGE_MIN_DOSES else None


def is_above_usual(dose: UseEntry, uses: Iterable[UseEntry]) -> bool:
    """Whether a leaf dose is larger than the patient's usual range (module docstring)."""
    grams = leaf_grams(dose)
    if grams is None:
        return False
    usual = usual_leaf_max(uses, before=dose.taken_at)
    return usual is not None and grams > usual


def notes_for_day(
    uses: Sequence[UseEntry], *, day: date, zone: ZoneInfo, co_use_window: timedelta
) -> list[SafetyNote]:
    """The notes for the entries of one local day; ``uses`` also holds the 28 days before.
    ``co_use_window`` is the patient's, as their flag has it (``effective_thresholds``)."""
    todays = [use for use in uses if local_day(use.taken_at, zone) == day]
    notes = []
    if day in co_use_days(uses, zone=zone, window=co_use_window):
        notes.append(CO_USE)
    leaf_doses = [use for use in uses if leaf_grams(use) is not None]  # once, not per dose
    if any(is_above_usual(dose, leaf_doses) for dose in todays):
        notes.append(ABOVE_USUAL)
    return notes


def uses_for_notes(*, patient: User, day: date, zone: ZoneInfo) -> list[UseEntry]:
    """The patient's use entries of ``day`` and the 28 local days before it, oldest first:
    everything ``notes_for_day`` needs, in one query however long the history."""
    window_days = USUAL_RANGE_WINDOW.days
    entries = entries_in_local_dates(
        UseEntry.objects.filter(patient=patient),
        zone=zone,
        since=day - timedelta(days=window_days),
        until=day,
    )
    return list(entries.order_by("taken_at", "id"))
