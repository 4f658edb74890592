"""Reads and defaults for Today and the two daily check-ins, in the patient's own zone.

- Today: what was logged on the patient's local day, last night's sleep diary, and the
  safety notes (``journals.safety``), in a fixed number of queries.
- Evening check-in: the weekly PEG is asked when none was recorded on the 7 local days up to
  and including today (so it comes back on the same weekday). Tonight's kratom starts from the
  patient's most recent kratom entry (amount, unit, form, mixed with, reason).
- Morning diary: clock times typed the morning after. A bedtime or lights-out from noon on is
  the evening of ``night_of``, one before noon is after midnight; the final awakening and
  getting up are on the morning after. The defaults are the median clock times of the last 7
  diaries (else 22:30, 22:45, 06:30, 06:45), never later than now.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median_low
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from journals import safety
from journals.choices import Form, MixedWith, PainLocation, Substance, Unit
from journals.models import PainEntry, PegAssessment, SleepEntry, UseEntry
from journals.safety import SafetyNote
from journals.selectors import (
    checkin_evening,
    checkin_evening_bounds,
    entries_in_local_dates,
    local_midnight,
)
from journals.text import amount_text, form_text, format_minutes, plain_number
from journals.thresholds import effective_thresholds
from patients.models import User

PEG_EVERY_DAYS = 7
RECENT_NIGHTS = 7
NOON = time(12)
SLEEP_TIME_FIELDS = ("bedtime", "lights_out_at", "final_wake_at", "rise_at")
EVENING_TIME_FIELDS = frozenset({"bedtime", "lights_out_at"})
USUAL_SLEEP_TIMES = {
    "bedtime": time(22, 30),
    "lights_out_at": time(22, 45),
    "final_wake_at": time(6, 30),
    "rise_at": time(6, 45),
}
MINUTES_PER_DAY = 24 * 60


# Evening check-in --------------------------------------------------------------------------


def peg_due(*, patient: User, today: date, zone: ZoneInfo) -> bool:
    """No PEG on the 7 local days up to today: ask the weekly questions."""
    recent = entries_in_local_dates(
        PegAssessment.objects.filter(patient=patient),
        zone=zone,
        since=today - timedelta(days=PEG_EVERY_DAYS - 1),
        until=None,
    )
    return not recent.exists()


def kratom_initial(*, patient: User) -> dict[str, Any]:
    """Tonight's kratom as the patient last logged it; no amount until they have."""
    last = (
        UseEntry.objects.filter(patient=patient, substance=Substance.KRATOM)
        .order_by("-taken_at", "-id")
        .first()
    )
    if last is None:
        return {"unit": Unit.G, "form": Form.POWDER, "mixed_with": MixedWith.NONE}
    return {
        "amount": plain_number(last.amount),
        "unit": last.unit,
        "form": last.form,
        "mixed_with": last.mixed_with,
        "reason": last.reason,
    }


# Morning diary -----------------------------------------------------------------------------


def sleep_moment(*, night_of: date, field: str, clock: time, zone: ZoneInfo) -> datetime:
    """The instant a diary's clock time stands for, on the night that began on ``night_of``."""
    evening = field in EVENING_TIME_FIELDS and clock >= NOON
    day = night_of if evening else night_of + timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=zone)


def _minutes_after_noon(moment: datetime, night_of: date, zone: ZoneInfo) -> int:
    """Minutes from noon of ``night_of``, on the wall clock: a median across midnight works."""
    local = moment.astimezone(zone)
    days = (local.date() - night_of).days
    return days * MINUTES_PER_DAY + local.hour * 60 + local.minute - MINUTES_PER_DAY // 2


def _clock_of(minutes_after_noon: int) -> time:
    minutes = (minutes_after_noon + MINUTES_PER_DAY // 2) % MINUTES_PER_DAY
    return time(minutes // 60, minutes % 60)


def recent_sleep_clock(*, patient: User, zone: ZoneInfo) -> dict[str, time] | None:
    """The median clock times of the patient's last 7 diaries; None before the first."""
    nights = list(
        SleepEntry.objects.filter(patient=patient)
        .only("night_of", *SLEEP_TIME_FIELDS)
        .order_by("-night_of")[:RECENT_NIGHTS]
    )
    if not nights:
        return None
    return {
        field: _clock_of(
            median_low(_minutes_after_noon(getattr(n, field), n.night_of, zone) for n in nights)
        )
        for field in SLEEP_TIME_FIELDS
    }


def sleep_initial(
    *, patient: User, night_of: date, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """The diary's defaults for ``night_of``: usual clock times, none later than now."""
    clock = recent_sleep_clock(patient=patient, zone=zone) or USUAL_SLEEP_TIMES
    latest = now.astimezone(zone).replace(second=0, microsecond=0)
    initial: dict[str, Any] = {"night_of": night_of}
    for field in SLEEP_TIME_FIELDS:
        moment = sleep_moment(night_of=night_of, field=field, clock=clock[field], zone=zone)
        initial[field] = min(moment, latest).astimezone(zone).time()
    return initial


# Today -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PainLine:
    entry: PainEntry
    locations: str


@dataclass(frozen=True)
class UseLine:
    entry: UseEntry
    amount: str  # with its unit
    form: str


@dataclass(frozen=True)
class SleepLine:
    entry: SleepEntry
    total_sleep: str


@dataclass(frozen=True)
class DaySummary:
    day: date
    pain: list[PainLine]
    peg: list[PegAssessment]
    uses: list[UseLine]
    last_night: SleepLine | None
    notes: list[SafetyNote]
    evening: date  # the evening now belongs to: ``day``, or the day before until 04:00
    evening_checked_in_at: datetime | None  # that evening's first pain entry

    @property
    def evening_done(self) -> bool:
        return self.evening_checked_in_at is not None

    @property
    def evening_is_today(self) -> bool:
        return self.evening == self.day

    @property
    def morning_done(self) -> bool:
        return self.last_night is not None

    @property
    def nothing_today(self) -> bool:
        return not (self.pain or self.peg or self.uses)


def evening_checked_in_at(*, patient: User, evening: date, zone: ZoneInfo) -> datetime | None:
    """When the check-in of ``evening`` was first made (its first pain entry), if it was
    (one query; ``day_summary`` reads the same from the pain entries it loads anyway)."""
    start, end = checkin_evening_bounds(evening, zone)
    return (
        PainEntry.objects.filter(patient=patient, recorded_at__gte=start, recorded_at__lt=end)
        .order_by("recorded_at")
        .values_list("recorded_at", flat=True)
        .first()
    )


def day_summary(*, patient: User, day: date, zone: ZoneInfo) -> DaySummary:
    """What the patient logged on their local ``day`` (today), and whether the evening now
    belongs to is checked in (``selectors.checkin_evening``): four queries, however long
    the history."""
    evening = checkin_evening(timezone.now(), zone)
    evening_start, evening_end = checkin_evening_bounds(evening, zone)
    day_start, day_end = local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
    pains = list(
        PainEntry.objects.filter(
            patient=patient,
            recorded_at__gte=min(day_start, evening_start),
            recorded_at__lt=max(day_end, evening_end),
        ).order_by("recorded_at", "id")
    )
    pain = [entry for entry in pains if day_start <= entry.recorded_at < day_end]
    checked_in = [entry for entry in pains if evening_start <= entry.recorded_at < evening_end]
    peg = entries_in_local_dates(
        PegAssessment.objects.filter(patient=patient), zone=zone, since=day, until=day
    ).order_by("recorded_at", "id")
    uses = safety.uses_for_notes(patient=patient, day=day, zone=zone)
    last_night = SleepEntry.objects.filter(
        patient=patient, night_of=day - timedelta(days=1)
    ).first()
    return DaySummary(
        day=day,
        pain=[
            PainLine(entry, ", ".join(PainLocation(code).label for code in entry.locations))
            for entry in pain
        ],
        peg=list(peg),
        uses=[
            UseLine(
                use,
                amount_text(use.amount, use.unit),
                form_text(substance=use.substance, form=use.form, unit=use.unit),
            )
            for use in uses
            if safety.local_day(use.taken_at, zone) == day
        ],
        last_night=(
            SleepLine(last_night, format_minutes(last_night.total_sleep_min))
            if last_night
            else None
        ),
        notes=safety.notes_for_day(
            uses,
            day=day,
            zone=zone,
            co_use_window=timedelta(
                hours=effective_thresholds(patient=patient).co_use_window_hours
            ),
        ),
        evening=evening,
        evening_checked_in_at=checked_in[0].recorded_at if checked_in else None,
    )
