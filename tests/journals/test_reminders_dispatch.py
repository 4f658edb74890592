"""Who the dispatcher picks: not those who logged, not the inactive, follow-ups once per
quiet spell, the clinician's digest; idempotent runs; a constant number of queries. Each
test runs both ways the dispatcher can take (PostgreSQL's, and any other database's)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journals.models import Delivery, DeliveryStatus, ReminderKind, ReminderSettings
from journals.reminders.dispatch import (
    GIVE_UP_AFTER,
    MAX_ATTEMPTS,
    REQUEUE_AFTER,
    reminders_dispatch,
)
from tests.factories import (
    ClinicianFactory,
    MembershipFactory,
    PainEntryFactory,
    PatientFactory,
    SleepEntryFactory,
    UseEntryFactory,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 10 June 2026, 21:00 in Berlin (summer time, +2).
EVENING = datetime(2026, 6, 10, 19, 0, tzinfo=UTC)
MORNING = datetime(2026, 6, 10, 6, 0, tzinfo=UTC)  # 08:00 in Berlin
TODAY = date(2026, 6, 10)


@pytest.fixture(autouse=True, params=["postgresql", "portable"])
def dispatch_way(request, monkeypatch):
    """Every test both ways: PostgreSQL's arrays, and the plain ORM other databases take."""
    if request.param == "portable":
        monkeypatch.setattr("journals.reminders.due.on_postgresql", lambda: False)


def _patient(joined: datetime = EVENING - timedelta(days=1), **reminders) -> object:
    with time_machine.travel(joined):
        patient = PatientFactory(timezone="Europe/Berlin")
    if reminders:
        ReminderSettings.objects.create(patient=patient, **reminders)
    return patient


def _dispatch_at(moment: datetime):
    with time_machine.travel(moment, tick=False):
        return reminders_dispatch()


def _kinds(patient) -> list[tuple[str, date]]:
    return sorted(Delivery.objects.filter(recipient=patient).values_list("kind", "local_date"))


def test_a_patient_without_saved_settings_gets_the_default_times():
    patient = _patient()

    _dispatch_at(MORNING)
    _dispatch_at(EVENING)

    assert _kinds(patient) == [(ReminderKind.EVENING, TODAY), (ReminderKind.MORNING, TODAY)]


def test_no_evening_reminder_once_the_days_pain_is_logged():
    logged, not_yet, yesterday_only = _patient(), _patient(), _patient()
    PainEntryFactory(patient=logged, recorded_at=EVENING - timedelta(hours=3))
    # 23:30 the day before, in Berlin: that day's entry, not today's.
    PainEntryFactory(patient=yesterday_only, recorded_at=datetime(2026, 6, 9, 21, 30, tzinfo=UTC))

    _dispatch_at(EVENING)

    assert _kinds(logged) == []
    assert _kinds(not_yet) == [(ReminderKind.EVENING, TODAY)]
    assert _kinds(yesterday_only) == [(ReminderKind.EVENING, TODAY)]


def test_a_check_in_after_midnight_counts_for_the_evening_before_not_for_tonight():
    late_owl = _patient()
    # 00:30 today in Berlin: last evening's check-in, done late.
    PainEntryFactory(patient=late_owl, recorded_at=datetime(2026, 6, 9, 22, 30, tzinfo=UTC))
    checked_in_at_0410 = _patient()
    PainEntryFactory(
        patient=checked_in_at_0410, recorded_at=datetime(2026, 6, 10, 2, 10, tzinfo=UTC)
    )

    _dispatch_at(EVENING)

    assert _kinds(late_owl) == [(ReminderKind.EVENING, TODAY)]
    assert _kinds(checked_in_at_0410) == []


def test_an_evening_reminder_set_after_midnight_asks_for_the_evening_before():
    # Reminded at 01:00 (Berlin): that is last evening's reminder, checked in at 23:30.
    late = {"evening_time": time(1, 0), "quiet_start": time(8, 0), "quiet_end": time(9, 0)}
    checked_in, not_yet = _patient(**late), _patient(**late)
    PainEntryFactory(patient=checked_in, recorded_at=datetime(2026, 6, 9, 21, 30, tzinfo=UTC))

    _dispatch_at(datetime(2026, 6, 9, 23, 0, tzinfo=UTC))  # 01:00 on 10 June in Berlin

    assert _kinds(checked_in) == []
    assert _kinds(not_yet) == [(ReminderKind.EVENING, TODAY)]


def test_no_morning_reminder_once_the_night_just_ended_is_logged():
    logged, older_night = _patient(), _patient()
    SleepEntryFactory(patient=logged, night_of=TODAY - timedelta(days=1))
    SleepEntryFactory(patient=older_night, night_of=TODAY - timedelta(days=2))

    _dispatch_at(MORNING)

    assert _kinds(logged) == []
    assert _kinds(older_night) == [(ReminderKind.MORNING, TODAY)]


def test_switched_off_reminders_and_inactive_patients_get_nothing():
    evening_off = _patient(evening_enabled=False)
    morning_off = _patient(morning_enabled=False)
    gone = _patient()
    gone.is_active = False
    gone.save()

    _dispatch_at(MORNING)
    _dispatch_at(EVENING)

    assert _kinds(evening_off) == [(ReminderKind.MORNING, TODAY)]
    assert _kinds(morning_off) == [(ReminderKind.EVENING, TODAY)]
    assert _kinds(gone) == []


def test_a_reminder_set_just_now_for_a_moment_ago_still_goes_out_within_the_catch_up():
    patient = _patient(evening_time=time(20, 45))

    _dispatch_at(EVENING)  # 21:00: 20:45 was a quarter of an hour ago

    [delivery] = Delivery.objects.filter(recipient=patient)
    assert delivery.due_at == EVENING - timedelta(minutes=15)


def test_two_dispatchers_in_the_same_minute_write_and_hand_out_each_row_once():
    patients = [_patient() for _ in range(3)]

    first = _dispatch_at(EVENING)
    second = _dispatch_at(EVENING + timedelta(seconds=20))

    assert (first.created, first.enqueued) == (3, 3)
    assert (second.created, second.enqueued) == (0, 0)
    assert Delivery.objects.filter(recipient__in=patients).count() == 3


def test_a_follow_up_after_two_quiet_days_takes_the_evening_reminders_place_once():
    patient = _patient(joined=EVENING - timedelta(days=30))
    # Last logged on Sunday 7 June; nothing on Monday 8 or Tuesday 9.
    UseEntryFactory(patient=patient, taken_at=datetime(2026, 6, 7, 18, 0, tzinfo=UTC))

    _dispatch_at(EVENING - timedelta(days=1))  # Tuesday: only one quiet day so far
    _dispatch_at(EVENING)  # Wednesday: two quiet days behind
    _dispatch_at(EVENING + timedelta(days=1))  # Thursday: still quiet, no second note

    assert _kinds(patient) == [
        (ReminderKind.EVENING, TODAY - timedelta(days=1)),
        (ReminderKind.EVENING, TODAY + timedelta(days=1)),
        (ReminderKind.FOLLOW_UP, TODAY),
    ]


def test_runs_later_in_the_catch_up_window_do_not_add_an_evening_reminder_to_a_follow_up():
    patient = _patient(joined=EVENING - timedelta(days=30))
    UseEntryFactory(patient=patient, taken_at=datetime(2026, 6, 7, 18, 0, tzinfo=UTC))

    for minutes in (0, 0, 1, 10, 29):
        _dispatch_at(EVENING + timedelta(minutes=minutes))

    assert _kinds(patient) == [(ReminderKind.FOLLOW_UP, TODAY)]


def test_a_day_that_has_its_evening_reminder_gets_no_follow_up_from_a_later_run():
    patient = _patient(joined=EVENING - timedelta(days=30))
    entry = UseEntryFactory(patient=patient, taken_at=EVENING - timedelta(days=1))
    _dispatch_at(EVENING)
    entry.delete()  # quiet for a month now, as far as the next run can tell

    _dispatch_at(EVENING + timedelta(minutes=10))

    assert _kinds(patient) == [(ReminderKind.EVENING, TODAY)]


def test_a_new_quiet_spell_after_logging_again_gets_a_new_follow_up():
    patient = _patient(joined=EVENING - timedelta(days=30))
    UseEntryFactory(patient=patient, taken_at=datetime(2026, 6, 7, 18, 0, tzinfo=UTC))
    _dispatch_at(EVENING)
    PainEntryFactory(patient=patient, recorded_at=datetime(2026, 6, 11, 10, 0, tzinfo=UTC))

    _dispatch_at(EVENING + timedelta(days=3))  # Saturday 13: the 11th had an entry
    _dispatch_at(EVENING + timedelta(days=4))  # Sunday 14: 12 and 13 quiet

    follow_ups = Delivery.objects.filter(recipient=patient, kind=ReminderKind.FOLLOW_UP)
    assert sorted(follow_ups.values_list("local_date", flat=True)) == [
        TODAY,
        TODAY + timedelta(days=4),
    ]


def test_no_follow_up_for_someone_who_joined_yesterday_or_turned_follow_ups_off():
    newcomer = _patient(joined=EVENING - timedelta(days=1))
    off = _patient(joined=EVENING - timedelta(days=30), follow_up_enabled=False)

    _dispatch_at(EVENING)

    assert _kinds(newcomer) == [(ReminderKind.EVENING, TODAY)]
    assert _kinds(off) == [(ReminderKind.EVENING, TODAY)]  # the usual reminder instead


def test_the_clinicians_digest_is_due_at_their_local_morning():
    riverside = ClinicianFactory(timezone="America/Chicago")
    berlin = ClinicianFactory(timezone="Europe/Berlin")
    off = ClinicianFactory(timezone="Europe/Berlin")
    off.clinician_profile.digest_enabled = False
    off.clinician_profile.save()

    _dispatch_at(datetime(2026, 6, 10, 5, 30, tzinfo=UTC))  # 07:30 in Berlin
    _dispatch_at(datetime(2026, 6, 10, 12, 30, tzinfo=UTC))  # 07:30 in Chicago

    assert _kinds(berlin) == [(ReminderKind.DIGEST, TODAY)]
    assert _kinds(riverside) == [(ReminderKind.DIGEST, TODAY)]
    assert _kinds(off) == []


def test_a_dead_workers_row_is_handed_out_again_after_its_lease():
    patient = _patient()
    _dispatch_at(EVENING)
    delivery = Delivery.objects.get(recipient=patient)
    lease_end = EVENING + timedelta(minutes=2)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, lease_expires_at=lease_end
    )

    still_held = _dispatch_at(lease_end - timedelta(seconds=1))
    handed_out = _dispatch_at(lease_end + timedelta(seconds=1))

    assert (still_held.recovered, handed_out.recovered, handed_out.enqueued) == (0, 1, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.enqueued_at) == (
        DeliveryStatus.PENDING,
        lease_end + timedelta(seconds=1),
    )


def test_a_row_that_used_every_attempt_is_failed_not_retried():
    patient = _patient()
    _dispatch_at(EVENING)
    Delivery.objects.filter(recipient=patient).update(
        status=DeliveryStatus.SENDING, attempts=MAX_ATTEMPTS, lease_expires_at=EVENING
    )

    _dispatch_at(EVENING + timedelta(minutes=5))

    delivery = Delivery.objects.get(recipient=patient)
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.FAILED,
        "worker lost on the last attempt",
    )


def test_a_lost_message_is_handed_out_again_and_a_stale_one_given_up():
    patient = _patient()
    _dispatch_at(EVENING)

    soon = _dispatch_at(EVENING + REQUEUE_AFTER - timedelta(seconds=1))
    later = _dispatch_at(EVENING + REQUEUE_AFTER + timedelta(seconds=1))
    too_late = _dispatch_at(EVENING + GIVE_UP_AFTER)

    assert (soon.enqueued, later.enqueued, too_late.expired) == (0, 1, 1)
    delivery = Delivery.objects.get(recipient=patient)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "too late to send")


def test_a_run_hands_out_every_new_row_but_only_a_bounded_number_of_old_ones(monkeypatch):
    patients = [_patient() for _ in range(3)]
    _dispatch_at(EVENING)
    monkeypatch.setattr("journals.reminders.dispatch.REQUEUE_LIMIT", 2)
    late = _patient(evening_time=time(21, 5))

    result = _dispatch_at(EVENING + REQUEUE_AFTER + timedelta(minutes=1))

    assert result.enqueued == 1 + 2
    assert Delivery.objects.get(recipient=late).enqueued_at is not None
    assert Delivery.objects.filter(recipient__in=patients, enqueued_at=EVENING).count() == 1


def test_the_dispatcher_runs_a_constant_number_of_queries():
    def queries_for(patients: int) -> int:
        Delivery.objects.all().delete()
        for _ in range(patients):
            patient = _patient(joined=EVENING - timedelta(days=30))
            PainEntryFactory(patient=patient, recorded_at=EVENING - timedelta(days=1))
        clinician = ClinicianFactory(timezone="Europe/Berlin")
        MembershipFactory(patient=patient, clinician=clinician)
        with CaptureQueriesContext(connection) as queries:
            _dispatch_at(EVENING)
        return len(queries)

    assert queries_for(2) == queries_for(25)
    assert Delivery.objects.filter(kind=ReminderKind.EVENING).count() == 27
