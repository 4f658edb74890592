"""The dispatcher's two ways to one answer: PostgreSQL's (the windows and id lists passed as
arrays, the rows written by one INSERT) and the plain ORM that any other database takes
(SQLite under ``make run``). Both run here, on PostgreSQL, and must agree."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from journals.models import Delivery, DeliveryStatus, ReminderKind, ReminderSettings
from journals.reminders import due as reminders_due
from journals.reminders.dispatch import CATCH_UP, deliveries_create
from journals.reminders.due import Due, patients_due
from tests.factories import PainEntryFactory, PatientFactory, SleepEntryFactory, UseEntryFactory

pytestmark = pytest.mark.django_db

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",  # −3:30, with DST
    "Asia/Kathmandu",  # +5:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "Australia/Lord_Howe",  # DST moves the clock by 30 minutes
    "Antarctica/Troll",  # DST moves the clock by two hours
    "Pacific/Kiritimati",  # +14
    "Pacific/Pago_Pago",  # −11
)
NO_QUIET = {"quiet_start": time(0), "quiet_end": time(0)}
SETTINGS = (
    None,  # the defaults: 21:00 and 08:00, quiet 23:00–07:00
    {"evening_time": time(2, 30), "morning_time": time(1, 30), **NO_QUIET},  # DST's hours
    {"evening_time": time(23, 30), "morning_time": time(6)},  # evening in quiet hours
    {
        "evening_time": time(20),
        "quiet_start": time(19),
        "quiet_end": time(21),
        "morning_enabled": False,
        "follow_up_enabled": False,
    },
    {"evening_time": time(0), "morning_time": time(7), "quiet_start": time(22, 30)},
)
DAY = date(2026, 6, 10)  # an ordinary day, with entries on it


def _transitions(zone: ZoneInfo) -> list[datetime]:
    """The hours of 2026 at which the zone's offset changes."""
    found = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year == 2026:
        if (
            moment.astimezone(zone).utcoffset()
            != (moment + timedelta(hours=1)).astimezone(zone).utcoffset()
        ):
            found.append(moment + timedelta(hours=1))
        moment += timedelta(hours=1)
    return found


def _population() -> None:
    """Every zone with every kind of settings; some logged on DAY, some quiet for days."""
    with time_machine.travel(datetime(2025, 12, 1, tzinfo=UTC)):
        for i, zone in enumerate(ZONES):
            for j, settings in enumerate(SETTINGS):
                patient = PatientFactory(timezone=zone)
                if settings is not None:
                    ReminderSettings.objects.create(patient=patient, **settings)
                noon = datetime.combine(DAY, time(12), tzinfo=ZoneInfo(zone))
                if (i + j) % 3 == 0:
                    PainEntryFactory(patient=patient, recorded_at=noon)
                if (i + j) % 3 == 1:
                    SleepEntryFactory(patient=patient, night_of=DAY - timedelta(days=1))
                if (i + j) % 4 == 0:
                    UseEntryFactory(patient=patient, taken_at=noon - timedelta(days=1))


def _due_both_ways(monkeypatch, end: datetime) -> tuple[set, set]:
    def due() -> set:
        found = patients_due(start=end - CATCH_UP, end=end)
        assert len(found) == len(set(found))
        return set(found)

    postgresql = due()
    with monkeypatch.context() as patch:
        patch.setattr(reminders_due, "on_postgresql", lambda: False)
        portable = due()
    return postgresql, portable


def test_both_ways_find_the_same_reminders_due_around_clock_changes_and_on_a_day(monkeypatch):
    _population()
    moments = [
        at + timedelta(minutes=30 * step)
        for name in ZONES
        for at in _transitions(ZoneInfo(name))
        for step in range(-5, 6)
    ]
    moments += [
        datetime.combine(DAY, time(), tzinfo=UTC) + timedelta(minutes=20 * n) for n in range(72)
    ]
    kinds = set()

    for end in moments:
        postgresql, portable = _due_both_ways(monkeypatch, end)
        assert postgresql == portable, end
        kinds |= {due.kind for due in postgresql}
        deliveries_create(list(postgresql), now=end)  # the next runs find these written

    assert kinds == {ReminderKind.EVENING, ReminderKind.MORNING, ReminderKind.FOLLOW_UP}
    assert Delivery.objects.count() > 100


@pytest.mark.parametrize("first_way", ["postgresql", "portable"])
def test_both_ways_write_the_same_rows_and_return_the_ids_of_new_ones(monkeypatch, first_way):
    patients = [PatientFactory() for _ in range(3)]
    at = datetime(2026, 6, 10, 21, tzinfo=UTC)
    due = [Due(p.pk, ReminderKind.EVENING, DAY, at) for p in patients]
    ways = {"postgresql": lambda: True, "portable": lambda: False}
    second_way = "portable" if first_way == "postgresql" else "postgresql"

    with time_machine.travel(at, tick=False):
        monkeypatch.setattr(reminders_due, "on_postgresql", ways[first_way])
        first = deliveries_create(due[:2], now=at)
        monkeypatch.setattr(reminders_due, "on_postgresql", ways[second_way])
        second = deliveries_create(due, now=at)  # the third; the first two exist
        again = deliveries_create(due, now=at)

    rows = {row.pop("id"): row for row in Delivery.objects.values()}
    assert (len(first), len(second), again) == (2, 1, [])
    assert set(rows) == {*first, *second}
    assert {row.pop("recipient_id") for row in rows.values()} == {p.pk for p in patients}
    one = rows[first[0]]
    assert all(row == one for row in rows.values())  # alike but for id and person
    assert one["status"] == DeliveryStatus.PENDING
    assert one["claimed_at"] == one["enqueued_at"] == at
