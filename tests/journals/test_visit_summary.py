"""The printable visit summary: averages and halves over a chosen period, flags and how they
were handled, review notes for the care team only; a bad period is 400; constant queries."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journals.flags import services as flag_services
from journals.models import Flag, FlagStatus, Review, Rule, Severity
from patients import services as patient_services
from patients.models import AuditEvent
from tests.conftest import client_for
from tests.factories import PainEntryFactory, SleepEntryFactory, UseEntryFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)  # 20:00 in Berlin
PERIOD = {"since": "2026-06-01", "until": "2026-06-30"}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _at(day: date, hour: int = 20) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


@pytest.fixture
def journal(alice, bob, carol, alice_team):
    """June: pain 6 in the first half, 4 in the second; 3 g of leaf a day; one night; a
    co-use flag raised on the 12th, acknowledged by bob on the 13th, resolved by carol on
    the 14th."""
    for n in range(30):
        day = date(2026, 6, 1) + timedelta(days=n)
        PainEntryFactory(patient=alice, recorded_at=_at(day), intensity=6 if n < 15 else 4)
        UseEntryFactory(patient=alice, taken_at=_at(day, 21), amount="3")
    PainEntryFactory(patient=alice, recorded_at=_at(date(2026, 5, 31)), intensity=10)  # before
    SleepEntryFactory(patient=alice, night_of=date(2026, 6, 10))
    with time_machine.travel(_at(date(2026, 6, 12), 23), tick=False):
        flag = Flag.objects.create(
            patient=alice,
            rule=Rule.CO_USE,
            severity=Severity.HIGH,
            window_start=date(2026, 6, 12),
            window_end=date(2026, 6, 12),
        )
    patient_services.care_team_add(patient=alice, clinician=carol)
    with time_machine.travel(_at(date(2026, 6, 13), 9), tick=False):
        flag_services.flag_acknowledge(flag=flag, clinician=bob, note="CLINICIAN-ACK-NOTE")
    with time_machine.travel(_at(date(2026, 6, 14), 9), tick=False):
        flag_services.flag_resolve(flag=flag, clinician=carol, note="CLINICIAN-RESOLVE-NOTE")
    return flag


def _measures(page: str) -> dict[str, list[str]]:
    import re

    rows = re.findall(r'<tr data-measure="(\w+)"><th scope="row">[^<]*</th>(.*?)</tr>', page)
    return {key: re.findall(r"<td>([^<]*)</td>", cells) for key, cells in rows}


def test_the_patient_sees_averages_halves_and_flags_without_clinician_notes(
    alice, bob, alice_team, journal
):
    Review.objects.create(patient=alice, clinician=bob, note="CLINICIAN-REVIEW-NOTE")

    response = client_for(alice).get("/trends/summary/", PERIOD)

    assert response.status_code == 200
    page = response.content.decode()
    measures = _measures(page)
    assert measures["pain"] == ["5.0", "6.0", "4.0", "\u22122.0"]
    assert measures["kratom_leaf"] == ["3.0 g", "3.0 g", "3.0 g", "no change"]
    assert measures["peg"] == ["no entries", "no entries", "no entries", "–"]
    assert "1 June 2026 to 30 June 2026 (30 days)" in page
    assert "Kratom with alcohol or a sedative" in page
    assert "Resolved; acknowledged 13 Jun 2026; resolved 14 Jun 2026</td>" in page
    assert "Dr Bob" not in page
    assert "Dr Carol" not in page
    assert "CLINICIAN-ACK-NOTE" not in page
    assert "CLINICIAN-RESOLVE-NOTE" not in page
    assert "CLINICIAN-REVIEW-NOTE" not in page


@pytest.mark.parametrize(
    ("first", "second", "show", "change"),
    [
        ("7.1", "7.2", "decimal", "+0.1"),  # said "up" before: a size, not a verdict
        ("400", "375", "minutes", "\u221225 min"),
        ("85.04", "87.1", "percent", "+2.1 points"),
        ("3", "3.54", "grams", "+0.5 g"),
        ("6.04", "5.96", "decimal", "no change"),  # the same once rounded as shown
    ],
)
def test_the_change_is_the_second_half_less_the_first_as_shown(first, second, show, change):
    from decimal import Decimal

    from journals.reports.visit_summary import _change

    assert _change(Decimal(first), Decimal(second), show) == change


def test_the_care_team_also_sees_review_notes_and_flag_notes_and_the_read_is_audited(
    alice, bob, alice_team, journal
):
    Review.objects.create(patient=alice, clinician=bob, note="Talked about evening doses.")
    Review.objects.create(
        patient=alice, clinician=bob, note="Too early", reviewed_at=_at(date(2026, 5, 2))
    )
    before = AuditEvent.objects.filter(actor=bob, patient=alice).count()

    response = client_for(bob).get(f"/clinic/patients/{alice.pk}/summary/", PERIOD)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Visit summary: Alice" in page
    assert "Talked about evening doses." in page
    assert "Too early" not in page  # outside the period
    assert "acknowledged 13 Jun 2026 by Dr Bob; resolved 14 Jun 2026 by Dr Carol</td>" in page
    assert "Acknowledged: CLINICIAN-ACK-NOTE<br>Resolved: CLINICIAN-RESOLVE-NOTE</td>" in page
    assert AuditEvent.objects.filter(actor=bob, patient=alice).count() == before + 1


def test_without_a_period_it_covers_the_last_30_days_and_shows_them_in_the_form(alice, journal):
    page = client_for(alice).get("/trends/summary/").content.decode()

    assert "1 June 2026 to 30 June 2026 (30 days)" in page
    assert 'type="date" name="since" value="2026-06-01"' in page
    assert 'type="date" name="until" value="2026-06-30"' in page


def test_a_period_of_one_day_says_one_day(alice, journal):
    page = client_for(alice).get("/trends/summary/", {"since": "2026-06-30", "until": "2026-06-30"})

    assert "30 June 2026 to 30 June 2026 (1 day)" in page.content.decode()


def test_a_clinician_prints_their_own_today_and_its_zone(alice, bob, alice_team, journal):
    patient_services.profile_update(user=bob, timezone_name="America/New_York")
    # 1 July 01:30 in Berlin, alice's zone; still 30 June 19:30 in New York.
    with time_machine.travel(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), tick=False):
        response = client_for(bob).get(f"/clinic/patients/{alice.pk}/summary/", PERIOD)

    assert "Printed 30 June 2026 (America/New_York)." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-06-20", "until": "2026-06-10"}, "since"),
        ({"since": "2026-06-01", "until": "2026-07-01"}, "until"),  # after today
        ({"since": "2024-01-01", "until": "2026-06-30"}, "since"),  # over 366 days
        ({"since": "June the first"}, "since"),
        ({"until": "0001-01-01"}, "until"),  # no UTC instant holds Berlin's midnight of it
        ({"since": "0001-01-01", "until": "0001-01-31"}, "since"),
        ({"since": "1999-12-31", "until": "2000-01-05"}, "since"),  # before any journal time
    ],
)
def test_a_bad_period_is_400_with_the_reason_at_the_field(alice, query, field):
    response = client_for(alice).get("/trends/summary/", query)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "summary" not in response.context


def test_the_summary_runs_a_constant_number_of_queries(alice, bob, alice_team, journal):
    client = client_for(bob)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/clinic/patients/{alice.pk}/summary/", PERIOD)
        return len(captured)

    queries()  # the first request of a session also writes the session
    few = queries()
    for n in range(20):
        UseEntryFactory(patient=alice, taken_at=_at(date(2026, 6, 2) + timedelta(days=n), 8))
        Flag.objects.create(
            patient=alice,
            rule=Rule.HIGH_SINGLE_DOSE,
            severity=Severity.MEDIUM,
            window_start=date(2026, 6, 2),
            window_end=date(2026, 6, 2),
            status=FlagStatus.RESOLVED,
            acknowledged_by=bob,
            resolved_by=bob,
        )
        Review.objects.create(patient=alice, clinician=bob, note=f"note {n}")

    assert queries() == few
