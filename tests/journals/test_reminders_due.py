"""When reminders fall due: every kind of zone, both daylight-saving days, odd offsets, the
date line. Clocks are moved with time-machine; the dispatcher runs as beat would run it."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from journals.models import Delivery, ReminderKind, ReminderSettings, in_quiet_hours
from journals.reminders.dispatch import CATCH_UP, reminders_dispatch
from journals.reminders.due import due_instant, wall_windows
from tests.factories import PatientFactory

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",  # −3:30, with DST
    "Asia/Kolkata",  # +5:30
    "Asia/Kathmandu",  # +5:45
    "Australia/Eucla",  # +8:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "Australia/Lord_Howe",  # DST moves the clock by 30 minutes
    "Pacific/Kiritimati",  # +14, the first to reach a date
    "Pacific/Pago_Pago",  # −11, among the last
    "Pacific/Apia",
    "America/Sao_Paulo",
    "Antarctica/Troll",  # DST moves the clock by two hours
)


def _transitions(zone: ZoneInfo, year: int = 2026) -> list[datetime]:
    """The UTC hours in ``year`` at which the zone's offset changes."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment.year == year:
        moment += timedelta(minutes=15)
        offset = moment.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(moment)
            previous = offset
    return found


TRANSITIONS = [(name, at) for name in ZONES for at in _transitions(ZoneInfo(name))]


def _brute_force(zone: ZoneInfo, clock: time, start: datetime, end: datetime) -> set:
    """Every local date near the window, each asked directly."""
    first = (start - timedelta(days=2)).date()
    days = [first + timedelta(days=n) for n in range(5)]
    return {
        (day, due_instant(day, clock, zone))
        for day in days
        if start < due_instant(day, clock, zone) <= end
    }


def _found(zone: ZoneInfo, clock: time, start: datetime, end: datetime) -> set:
    return {
        (window.day, due_instant(window.day, clock, zone))
        for window in wall_windows(zone, start, end)
        if window.holds(clock) and start < due_instant(window.day, clock, zone) <= end
    }


clocks = st.builds(time, st.integers(0, 23), st.integers(0, 59))


@settings(max_examples=400, deadline=None)
@given(
    transition=st.sampled_from(TRANSITIONS),
    shift_min=st.integers(-240, 240),
    clock=clocks,
)
def test_the_windows_find_every_due_time_near_a_clock_change(transition, shift_min, clock):
    name, at = transition
    zone = ZoneInfo(name)
    end = at + timedelta(minutes=shift_min)
    start = end - CATCH_UP
    assert _found(zone, clock, start, end) == _brute_force(zone, clock, start, end)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(ZONES),
    end=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    clock=clocks,
)
def test_the_windows_find_every_due_time_on_any_day(name, end, clock):
    zone = ZoneInfo(name)
    start = end - CATCH_UP
    assert _found(zone, clock, start, end) == _brute_force(zone, clock, start, end)


@pytest.mark.parametrize(
    ("clock", "quiet_start", "quiet_end", "quiet"),
    [
        (time(23, 30), time(23, 0), time(7, 0), True),  # across midnight, evening side
        (time(6, 59), time(23, 0), time(7, 0), True),  # across midnight, morning side
        (time(7, 0), time(23, 0), time(7, 0), False),  # the end is not quiet
        (time(23, 0), time(23, 0), time(7, 0), True),  # the start is
        (time(21, 0), time(23, 0), time(7, 0), False),
        (time(13, 30), time(13, 0), time(15, 0), True),  # within a day
        (time(15, 0), time(13, 0), time(15, 0), False),
        (time(3, 0), time(0, 0), time(0, 0), False),  # start == end: no quiet hours
    ],
)
def test_quiet_hours(clock, quiet_start, quiet_end, quiet):
    assert in_quiet_hours(clock, quiet_start, quiet_end) is quiet


def _patient(zone: str, **reminders) -> object:
    patient = PatientFactory(timezone=zone)
    ReminderSettings.objects.create(patient=patient, **reminders)
    return patient


def _run_every(step: timedelta, start: datetime, end: datetime) -> None:
    """Beat: a dispatcher run at each step from start to end."""
    moment = start
    with time_machine.travel(moment, tick=False) as clock:
        while moment <= end:
            reminders_dispatch()
            moment += step
            clock.move_to(moment)


NO_QUIET = {"quiet_start": time(0, 0), "quiet_end": time(0, 0)}


@pytest.mark.django_db
def test_a_time_in_the_hour_skipped_in_spring_is_sent_once_that_day():
    # New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that night.
    patient = _patient("America/New_York", evening_time=time(2, 30), **NO_QUIET)

    _run_every(
        timedelta(minutes=1),
        datetime(2026, 3, 8, 6, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 9, 0, tzinfo=UTC),
    )

    [delivery] = Delivery.objects.filter(recipient=patient, local_date=date(2026, 3, 8))
    # 02:30 read in winter time is 07:30 UTC, which is 03:30 summer time on the clock.
    assert delivery.due_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert delivery.claimed_at == delivery.due_at


@pytest.mark.django_db
def test_a_time_in_the_hour_repeated_in_autumn_is_sent_once_at_its_first_occurrence():
    # New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    patient = _patient("America/New_York", morning_time=time(1, 30), **NO_QUIET)

    _run_every(
        timedelta(minutes=1),
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
    )

    [delivery] = Delivery.objects.filter(recipient=patient, kind=ReminderKind.MORNING)
    assert delivery.local_date == date(2026, 11, 1)
    assert delivery.due_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


@pytest.mark.django_db
def test_every_zone_gets_one_reminder_of_each_kind_per_local_day_on_time():
    """Two days across Europe's spring change, dispatching every 10 minutes: each patient has
    exactly one evening and one morning reminder per local date, none early, none more than
    one step late, none in quiet hours."""
    start = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)
    with time_machine.travel(start):  # joined then: no follow-up for quiet days yet
        patients = {name: _patient(name) for name in ZONES}
    step = timedelta(minutes=10)

    _run_every(step, start, start + timedelta(hours=48))

    for name, patient in patients.items():
        zone = ZoneInfo(name)
        # Reminder times whose every occurrence lies inside the run, per kind.
        expected = {
            (kind, day)
            for kind, clock in ((ReminderKind.EVENING, time(21)), (ReminderKind.MORNING, time(8)))
            for day in (start.astimezone(zone).date() + timedelta(days=n) for n in range(-1, 4))
            # The first run, at ``start``, looks back over the catch-up window.
            if start - CATCH_UP < due_instant(day, clock, zone) <= start + timedelta(hours=48)
        }
        deliveries = Delivery.objects.filter(recipient=patient)
        assert {(d.kind, d.local_date) for d in deliveries} == expected, name
        assert deliveries.count() == len(expected), name
        for delivery in deliveries:
            clock = time(21) if delivery.kind == ReminderKind.EVENING else time(8)
            assert delivery.due_at == due_instant(delivery.local_date, clock, zone), name
            late = delivery.claimed_at - delivery.due_at
            assert timedelta(0) <= late < step or delivery.claimed_at == start, name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "utc_due"),
    [
        ("Asia/Kolkata", datetime(2026, 6, 10, 15, 30, tzinfo=UTC)),  # +5:30
        ("Asia/Kathmandu", datetime(2026, 6, 10, 15, 15, tzinfo=UTC)),  # +5:45
        ("Australia/Eucla", datetime(2026, 6, 10, 12, 15, tzinfo=UTC)),  # +8:45
        ("Pacific/Kiritimati", datetime(2026, 6, 10, 7, 0, tzinfo=UTC)),  # +14
        ("Pacific/Pago_Pago", datetime(2026, 6, 11, 8, 0, tzinfo=UTC)),  # −11
    ],
)
def test_odd_offsets_and_the_date_line(zone, utc_due):
    patient = _patient(zone)
    with time_machine.travel(utc_due - timedelta(minutes=1), tick=False):
        assert reminders_dispatch().created == 0
    with time_machine.travel(utc_due, tick=False):
        reminders_dispatch()

    [delivery] = Delivery.objects.filter(recipient=patient)
    assert (delivery.kind, delivery.local_date, delivery.due_at) == (
        ReminderKind.EVENING,
        date(2026, 6, 10),
        utc_due,
    )


@pytest.mark.django_db
def test_a_reminder_inside_quiet_hours_is_not_sent():
    quiet = _patient("Europe/Berlin", evening_time=time(23, 30))  # quiet 23:00–07:00
    daytime_quiet = _patient(
        "Europe/Berlin", evening_time=time(21, 0), quiet_start=time(20, 0), quiet_end=time(22, 0)
    )
    awake = _patient("Europe/Berlin", evening_time=time(22, 59))

    _run_every(
        timedelta(minutes=5),
        datetime(2026, 6, 10, 18, 0, tzinfo=UTC),
        datetime(2026, 6, 10, 23, 0, tzinfo=UTC),
    )

    assert not Delivery.objects.filter(recipient__in=[quiet, daytime_quiet]).exists()
    assert Delivery.objects.filter(recipient=awake, kind=ReminderKind.EVENING).count() == 1
