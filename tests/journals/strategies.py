"""Hypothesis strategies for sleep diaries: a bedtime, then non-negative gaps."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from journals.validators import night_of_for

ZONES = [
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/Chicago"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),  # a half-hour DST shift
    ZoneInfo("UTC"),
]


@dataclass(frozen=True)
class Diary:
    zone: ZoneInfo
    bedtime: datetime
    lights_out_at: datetime
    final_wake_at: datetime
    rise_at: datetime
    sleep_onset_latency_min: int
    wake_after_sleep_onset_min: int

    @property
    def night_of(self) -> Any:
        return night_of_for(self.bedtime, self.zone)

    def times(self) -> dict[str, Any]:
        return {
            "bedtime": self.bedtime,
            "lights_out_at": self.lights_out_at,
            "final_wake_at": self.final_wake_at,
            "rise_at": self.rise_at,
            "sleep_onset_latency_min": self.sleep_onset_latency_min,
            "wake_after_sleep_onset_min": self.wake_after_sleep_onset_min,
        }

    def real_minutes(self, start: str, end: str) -> float:
        """Elapsed real minutes between two of the times, from their POSIX timestamps."""
        seconds = getattr(self, end).timestamp() - getattr(self, start).timestamp()
        return float(seconds / 60)


def _offset_changes(zone: ZoneInfo, year: int) -> list[datetime]:
    """The UTC instants in ``year`` at which ``zone``'s offset changes (DST transitions)."""
    step = timedelta(minutes=30)
    moment = datetime(year, 1, 1, tzinfo=UTC)
    changes = []
    while moment.year == year:
        if moment.astimezone(zone).utcoffset() != (moment - step).astimezone(zone).utcoffset():
            changes.append(moment)
        moment += step
    return changes


# (zone, an instant its clocks change): nights across them are where local arithmetic slips.
TRANSITIONS = [(zone, moment) for zone in ZONES for moment in _offset_changes(zone, 2025)]


@st.composite
def _any_night(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    zone = draw(st.sampled_from(ZONES))
    start = draw(
        st.datetimes(
            min_value=datetime(2001, 1, 1),
            max_value=datetime(2025, 12, 31),
            timezones=st.just(UTC),
        )
    )
    return zone, start


@st.composite
def _night_across_a_clock_change(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    zone, change = draw(st.sampled_from(TRANSITIONS))
    return zone, change - timedelta(minutes=draw(st.integers(0, 12 * 60)))


@st.composite
def diaries(draw: st.DrawFn, *, whole_minutes: bool = True) -> Diary:
    """A valid diary. The gaps are real durations; the times are given in the patient's
    zone (all sharing one tzinfo), as a page showing local times would hand them over."""
    zone, start = draw(st.one_of(_any_night(), _night_across_a_clock_change()))
    start = start.replace(second=0 if whole_minutes else start.second, microsecond=0)
    step = 60 if whole_minutes else 1  # seconds
    to_lights_out = draw(st.integers(0, 3 * 3600 // step)) * step
    # At least a minute; with up to 3 h on either side, at most 16 h in bed (MAX_TIME_IN_BED).
    window = draw(st.integers(60 // step, 10 * 3600 // step)) * step
    to_rise = draw(st.integers(0, 3 * 3600 // step)) * step
    sol = draw(st.integers(0, window // 60))
    waso = draw(st.integers(0, window // 60 - sol))

    bedtime = start
    lights_out_at = bedtime + timedelta(seconds=to_lights_out)
    final_wake_at = lights_out_at + timedelta(seconds=window)
    rise_at = final_wake_at + timedelta(seconds=to_rise)
    return Diary(
        zone=zone,
        bedtime=bedtime.astimezone(zone),
        lights_out_at=lights_out_at.astimezone(zone),
        final_wake_at=final_wake_at.astimezone(zone),
        rise_at=rise_at.astimezone(zone),
        sleep_onset_latency_min=sol,
        wake_after_sleep_onset_min=waso,
    )
