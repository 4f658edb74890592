"""journals.selectors: which entries fall on which of the patient's local dates."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journals.models import PainEntry, SleepEntry
from journals.selectors import entries_in_local_dates, local_midnight
from tests.factories import PainEntryFactory, SleepEntryFactory
from tests.journals.helpers import BERLIN, CHICAGO
from tests.journals.strategies import ZONES

SANTIAGO = ZoneInfo("America/Santiago")


def between(queryset, zone, since=None, until=None):
    return set(entries_in_local_dates(queryset, zone=zone, since=since, until=until))


def test_local_midnight_in_berlin_winter_is_23_00_utc_the_day_before():
    assert local_midnight(date(2026, 3, 2), BERLIN) == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)


def test_local_midnight_in_berlin_summer_is_22_00_utc_the_day_before():
    assert local_midnight(date(2026, 3, 30), BERLIN) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_a_day_whose_midnight_is_skipped_starts_at_its_first_real_instant():
    # Chile springs forward at midnight: 2026-09-06 begins at 01:00 local (04:00 UTC).
    start = local_midnight(date(2026, 9, 6), SANTIAGO)

    assert start.astimezone(SANTIAGO).date() == date(2026, 9, 6)
    assert (start - timedelta(microseconds=1)).astimezone(SANTIAGO).date() == date(2026, 9, 5)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(2001, 1, 1), max_value=date(2030, 12, 31)))
def test_local_midnight_is_the_first_instant_of_that_local_date(day):
    for zone in [*ZONES, SANTIAGO]:
        start = local_midnight(day, zone).astimezone(UTC)

        assert start.astimezone(zone).date() == day
        assert (start - timedelta(microseconds=1)).astimezone(zone).date() == day - timedelta(
            days=1
        )


def test_timed_entries_are_kept_by_their_local_date_in_the_given_zone(alice):
    # 23:30 UTC on 03-01 is 00:30 on 03-02 in Berlin but 17:30 on 03-01 in Chicago.
    entry = PainEntryFactory(patient=alice, recorded_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    entries = PainEntry.objects.all()

    assert between(entries, BERLIN, date(2026, 3, 2), date(2026, 3, 2)) == {entry}
    assert between(entries, BERLIN, date(2026, 3, 1), date(2026, 3, 1)) == set()
    assert between(entries, CHICAGO, date(2026, 3, 1), date(2026, 3, 1)) == {entry}


@pytest.mark.parametrize(
    ("since", "until", "kept"),
    [
        (None, None, {"first", "last"}),
        (date(2026, 3, 1), None, {"first", "last"}),
        (date(2026, 3, 2), None, {"last"}),
        (None, date(2026, 3, 2), {"first"}),
        (None, date(2026, 3, 3), {"first", "last"}),
        (date(2026, 3, 2), date(2026, 3, 2), set()),
    ],
)
def test_both_ends_of_the_range_are_inclusive(alice, since, until, kept):
    entries = {
        "first": PainEntryFactory(
            patient=alice, recorded_at=datetime(2026, 3, 1, 0, 0, tzinfo=BERLIN)
        ),
        "last": PainEntryFactory(
            patient=alice,
            recorded_at=datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=BERLIN),
        ),
    }

    result = between(PainEntry.objects.all(), BERLIN, since, until)

    assert result == {entries[name] for name in kept}


def test_sleep_entries_are_kept_by_night_of_whatever_the_zone(alice):
    nights = {day: SleepEntryFactory(patient=alice, night_of=date(2026, 3, day)) for day in (1, 2)}

    result = between(SleepEntry.objects.all(), CHICAGO, date(2026, 3, 1), date(2026, 3, 1))

    assert result == {nights[1]}
