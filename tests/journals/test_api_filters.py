"""``?since=&until=``: both inclusive, on the local date in the patient's zone of
``recorded_at`` / ``taken_at``, and on ``night_of`` for sleep (issue 2 §4)."""

from datetime import date

import pytest

from tests.conftest import client_for
from tests.factories import SleepEntryFactory
from tests.journals.helpers import KINDS, ids, local, make_entry, own_url

pytestmark = pytest.mark.usefixtures("frozen_now")

TIMED_KINDS = ["pain-entries", "peg-assessments", "use-entries"]


def listed(user, kind, **params):
    response = client_for(user).get(own_url(kind), params)
    assert response.status_code == 200, response.json()
    return set(ids(response))


@pytest.mark.parametrize("kind", TIMED_KINDS)
def test_an_entry_late_in_the_evening_belongs_to_its_local_date_not_the_utc_one(alice, kind):
    # 23:30 in Berlin on 03-01 is 22:30 UTC on 03-01; 00:30 on 03-02 is 23:30 UTC on 03-01.
    late = make_entry(kind, alice, date(2026, 3, 1), 23, 30)
    make_entry(kind, alice, date(2026, 3, 2), 0, 30)

    assert listed(alice, kind, since="2026-03-01", until="2026-03-01") == {str(late.id)}


@pytest.mark.parametrize("kind", TIMED_KINDS)
def test_an_entry_just_after_local_midnight_belongs_to_the_new_local_date(alice, kind):
    make_entry(kind, alice, date(2026, 3, 1), 23, 30)
    early = make_entry(kind, alice, date(2026, 3, 2), 0, 30)

    assert listed(alice, kind, since="2026-03-02", until="2026-03-02") == {str(early.id)}


@pytest.mark.parametrize("kind", TIMED_KINDS)
def test_since_and_until_are_both_inclusive(alice, kind):
    make_entry(kind, alice, date(2026, 2, 28), 23, 59)
    first = make_entry(kind, alice, date(2026, 3, 1), 0, 0)
    last = make_entry(kind, alice, date(2026, 3, 3), 23, 59)
    make_entry(kind, alice, date(2026, 3, 4), 0, 0)

    assert listed(alice, kind, since="2026-03-01", until="2026-03-03") == {
        str(first.id),
        str(last.id),
    }


@pytest.mark.parametrize("kind", TIMED_KINDS)
def test_a_local_day_is_whole_across_the_spring_dst_change(alice, kind):
    # Berlin skips 02:00–03:00 on 2026-03-29: that day runs from 23:00 UTC on 03-28
    # (+01:00) to 22:00 UTC on 03-29 (+02:00).
    make_entry(kind, alice, date(2026, 3, 28), 23, 30)
    after_midnight = make_entry(kind, alice, date(2026, 3, 29), 0, 30)
    after_change = make_entry(kind, alice, date(2026, 3, 29), 3, 0)
    before_midnight = make_entry(kind, alice, date(2026, 3, 29), 23, 30)
    make_entry(kind, alice, date(2026, 3, 30), 0, 30)

    assert listed(alice, kind, since="2026-03-29", until="2026-03-29") == {
        str(after_midnight.id),
        str(after_change.id),
        str(before_midnight.id),
    }


@pytest.mark.parametrize("kind", TIMED_KINDS)
def test_a_local_day_is_whole_across_the_autumn_dst_change(erin, kind):
    # Chicago falls back at 02:00 on 2025-11-02: a 25-hour day, 05:00 UTC to 06:00 UTC.
    make_entry(kind, erin, date(2025, 11, 1), 23, 30)
    early = make_entry(kind, erin, date(2025, 11, 2), 0, 30)
    late = make_entry(kind, erin, date(2025, 11, 2), 23, 30)
    make_entry(kind, erin, date(2025, 11, 3), 0, 30)

    assert listed(erin, kind, since="2025-11-02", until="2025-11-02") == {
        str(early.id),
        str(late.id),
    }


@pytest.mark.parametrize("kind", TIMED_KINDS)
def test_dates_are_reckoned_in_the_callers_own_zone(erin, kind):
    # 21:00 in Chicago on 03-01 is 03:00 UTC on 03-02.
    evening = make_entry(kind, erin, date(2026, 3, 1), 21, 0)

    assert listed(erin, kind, since="2026-03-01", until="2026-03-01") == {str(evening.id)}
    assert listed(erin, kind, since="2026-03-02", until="2026-03-02") == set()


@pytest.mark.parametrize("kind", KINDS)
def test_since_alone_keeps_that_date_and_later(alice, kind):
    make_entry(kind, alice, date(2026, 3, 1))
    second = make_entry(kind, alice, date(2026, 3, 2))
    third = make_entry(kind, alice, date(2026, 3, 3))

    assert listed(alice, kind, since="2026-03-02") == {str(second.id), str(third.id)}


@pytest.mark.parametrize("kind", KINDS)
def test_until_alone_keeps_that_date_and_earlier(alice, kind):
    first = make_entry(kind, alice, date(2026, 3, 1))
    second = make_entry(kind, alice, date(2026, 3, 2))
    make_entry(kind, alice, date(2026, 3, 3))

    assert listed(alice, kind, until="2026-03-02") == {str(first.id), str(second.id)}


def test_filtered_list_stays_newest_first_and_counts_only_what_matches(alice):
    make_entry("pain-entries", alice, date(2026, 3, 1))
    second = make_entry("pain-entries", alice, date(2026, 3, 2))
    third = make_entry("pain-entries", alice, date(2026, 3, 3))

    response = client_for(alice).get(own_url("pain-entries"), {"since": "2026-03-02"})

    assert response.json()["count"] == 2
    assert ids(response) == [str(third.id), str(second.id)]


def test_sleep_entries_are_filtered_on_night_of_not_on_their_times(alice):
    # The night of 03-01 ends on the morning of 03-02; the night of 03-02 begins that evening.
    make_entry("sleep-entries", alice, date(2026, 2, 28))
    night = make_entry("sleep-entries", alice, date(2026, 3, 1))
    make_entry("sleep-entries", alice, date(2026, 3, 2))

    assert listed(alice, "sleep-entries", since="2026-03-01", until="2026-03-01") == {str(night.id)}


def test_a_sleep_entry_with_a_bedtime_after_midnight_is_found_under_its_night_of(alice):
    # Into bed at 00:30 on 03-02: the night of 03-01.
    night = SleepEntryFactory(
        patient=alice, night_of=date(2026, 3, 1), bedtime=local(date(2026, 3, 2), 0, 30)
    )

    assert listed(alice, "sleep-entries", since="2026-03-01", until="2026-03-01") == {str(night.id)}
    assert listed(alice, "sleep-entries", since="2026-03-02", until="2026-03-02") == set()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("param", ["since", "until"])
@pytest.mark.parametrize("value", ["2026-02-30", "yesterday", "01/03/2026", "2026-03-01T00:00"])
def test_an_invalid_date_is_400_on_its_parameter(alice, kind, param, value):
    response = client_for(alice).get(own_url(kind), {param: value})

    assert response.status_code == 400
    assert param in response.json()


@pytest.mark.parametrize("kind", KINDS)
def test_until_before_since_is_400(alice, kind):
    response = client_for(alice).get(own_url(kind), {"since": "2026-03-02", "until": "2026-03-01"})

    assert response.status_code == 400
    assert "until" in response.json()


@pytest.mark.parametrize("kind", KINDS)
def test_a_retrieve_ignores_the_date_filters(alice, kind):
    entry = make_entry(kind, alice, date(2026, 3, 1))

    response = client_for(alice).get(own_url(kind, entry.id), {"since": "2026-03-05"})

    assert response.status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_date_parameter_means_no_bound(alice, kind):
    entry = make_entry(kind, alice, date(2026, 3, 1), 20, 0)

    assert listed(alice, kind, since="", until="") == {str(entry.id)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("since", "until"), [("0001-01-01", "9999-12-31"), ("", "9999-12-31")])
def test_dates_at_the_edge_of_the_calendar_mean_no_bound(erin, kind, since, until):
    entry = make_entry(kind, erin, date(2026, 3, 1), 20, 0)

    assert listed(erin, kind, since=since, until=until) == {str(entry.id)}
