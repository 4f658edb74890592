"""The triage selector: figures for known data, order, filters and a constant query count."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from journals import services
from journals.choices import Form, Substance, Unit
from journals.flags import services as flag_services
from journals.flags.triage import TriageRow, summaries_refresh, triage_list, triage_rows
from journals.flags.triage import row_of as row_of_summary
from journals.metrics import sleep_metrics
from journals.models import (
    Flag,
    FlagStatus,
    PainEntry,
    Review,
    Rule,
    Severity,
    SleepEntry,
    TriageSummary,
    UseEntry,
)
from patients import services as patient_services
from patients.models import CareTeamMembership, Clinic, PatientProfile, Role, User
from tests.factories import (
    MembershipFactory,
    PainEntryFactory,
    PatientFactory,
    SleepEntryFactory,
    UseEntryFactory,
    night_times,
)

BERLIN = ZoneInfo("Europe/Berlin")


def flag(patient: User, rule: str, severity: str, status: str = FlagStatus.OPEN) -> Flag:
    today = timezone.localdate()
    return Flag.objects.create(
        patient=patient,
        rule=rule,
        severity=severity,
        status=status,
        window_start=today,
        window_end=today,
    )


def at_noon(day: date, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(12), tzinfo=zone)


def row_of(clinician: User, patient: User, today: date | None = None) -> TriageRow:
    (row,) = [r for r in triage_rows(clinician=clinician, today=today) if r.patient == patient]
    return row


def bulk_patients(*, clinician: User, clinic: Clinic, count: int, start: int = 0) -> list[User]:
    """``count`` patients on the clinician's team, each with a flag and a few entries."""
    users = User.objects.bulk_create(
        User(
            email=f"bulk{i}@example.org",
            display_name=f"Bulk {i:03}",
            role=Role.PATIENT,
            password="!",  # unusable
        )
        for i in range(start, start + count)
    )
    PatientProfile.objects.bulk_create(
        PatientProfile(user=user, clinic=clinic, timezone="America/Chicago") for user in users
    )
    CareTeamMembership.objects.bulk_create(
        CareTeamMembership(patient=user, clinician=clinician) for user in users
    )
    now = timezone.now()
    today = timezone.localdate()
    PainEntry.objects.bulk_create(
        PainEntry(patient=user, recorded_at=now - timedelta(days=d), intensity=4)
        for user in users
        for d in (1, 9)
    )
    UseEntry.objects.bulk_create(
        UseEntry(
            patient=user,
            taken_at=now - timedelta(days=1),  # with the pain entry: one logged day
            substance=Substance.KRATOM,
            amount=Decimal(2),
            unit=Unit.G,
            form=Form.POWDER,
        )
        for user in users
    )
    SleepEntry.objects.bulk_create(
        SleepEntry(
            patient=user,
            night_of=today - timedelta(days=2),
            sleep_onset_latency_min=10,
            awakenings=1,
            wake_after_sleep_onset_min=20,
            quality=3,
            **night_times(today - timedelta(days=2), ZoneInfo("America/Chicago")),
        )
        for user in users
    )
    Flag.objects.bulk_create(
        Flag(
            patient=user,
            rule=Rule.POOR_SLEEP,
            severity=Severity.LOW,
            window_start=today,
            window_end=today,
        )
        for user in users
    )
    return users


def test_a_clinician_sees_a_row_per_visible_patient_only(
    alice: User, erin: User, bob: User, carol: User, dave: User, alice_team: object
) -> None:
    assert [row.patient for row in triage_rows(clinician=bob)] == [alice]
    assert triage_rows(clinician=carol) == []
    assert triage_rows(clinician=dave) == []


def test_open_flags_are_counted_by_severity(alice: User, bob: User, alice_team: object) -> None:
    flag(alice, Rule.CO_USE, Severity.HIGH)
    flag(alice, Rule.SEVEN_OH_PRODUCT, Severity.HIGH)
    flag(alice, Rule.FREQUENT_USE, Severity.MEDIUM)
    flag(alice, Rule.POOR_SLEEP, Severity.LOW)
    flag(alice, Rule.ESCALATION, Severity.MEDIUM, status=FlagStatus.ACKNOWLEDGED)
    flag(alice, Rule.WITHDRAWAL, Severity.MEDIUM, status=FlagStatus.RESOLVED)

    row = row_of(bob, alice)

    assert row.open_flags == {"high": 2, "medium": 1, "low": 1}
    assert row.highest_severity == "high"
    assert row.open_flag_rules == ["co_use", "frequent_use", "poor_sleep", "seven_oh_product"]


def test_a_patient_without_open_flags_has_no_severity(
    alice: User, bob: User, alice_team: object
) -> None:
    flag(alice, Rule.CO_USE, Severity.HIGH, status=FlagStatus.RESOLVED)

    row = row_of(bob, alice)

    assert row.open_flags == {"high": 0, "medium": 0, "low": 0}
    assert row.highest_severity is None
    assert row.open_flag_rules == []


def test_unreviewed_entries_count_every_kind_when_never_reviewed(
    alice: User, bob: User, alice_team: object
) -> None:
    PainEntryFactory(patient=alice)
    UseEntryFactory(patient=alice)
    SleepEntryFactory(patient=alice)

    assert row_of(bob, alice).unreviewed_entries == 3


def test_unreviewed_entries_count_only_those_after_the_latest_review(
    alice: User, bob: User, carol: User, alice_team: object
) -> None:
    PainEntryFactory(patient=alice)
    UseEntryFactory(patient=alice)
    Review.objects.create(
        patient=alice, clinician=carol, reviewed_at=timezone.now() - timedelta(days=1)
    )
    Review.objects.create(patient=alice, clinician=bob)
    assert row_of(bob, alice).unreviewed_entries == 0

    PainEntryFactory(patient=alice)

    assert row_of(bob, alice).unreviewed_entries == 1


def test_last_entry_at_is_the_time_of_the_latest_entry_not_when_it_was_saved(
    alice: User, bob: User, alice_team: object
) -> None:
    now = timezone.now()
    latest = PainEntryFactory(patient=alice, recorded_at=now - timedelta(hours=20))
    night = SleepEntryFactory(patient=alice, night_of=(now - timedelta(days=2)).date())
    UseEntryFactory(patient=alice, taken_at=now - timedelta(days=3))
    assert night.bedtime < latest.recorded_at
    assert row_of(bob, alice).last_entry_at == latest.recorded_at

    # A diary of an earlier night filled in (saved) last, and a sleep diary as the latest.
    SleepEntryFactory(patient=alice, night_of=(now - timedelta(days=9)).date())
    assert row_of(bob, alice).last_entry_at == latest.recorded_at
    PainEntry.objects.filter(patient=alice).delete()
    assert row_of(bob, alice).last_entry_at == night.bedtime


def test_a_patient_who_imported_old_entries_today_is_still_not_logging(
    alice: User, bob: User, alice_team: object
) -> None:
    PainEntryFactory(patient=alice, recorded_at=timezone.now() - timedelta(days=10))

    row = row_of(bob, alice)

    assert row.unreviewed_entries == 1  # saved just now: new to the care team
    assert row.not_logging


def test_pain_means_of_this_week_and_the_week_before_and_their_trend(
    alice: User, bob: User, alice_team: object
) -> None:
    today = date(2026, 3, 20)
    # This week: day means 6 and (7 + 9) / 2 = 8 -> 7.0. The week before: 5 and 6 -> 5.5.
    for days_ago, intensity in ((0, 6), (6, 7), (6, 9), (7, 5), (13, 6), (14, 10)):
        PainEntryFactory(
            patient=alice,
            recorded_at=at_noon(today - timedelta(days=days_ago)),
            intensity=intensity,
        )

    row = row_of(bob, alice, today)

    assert row.pain_7d_mean == Decimal("7.0")
    assert row.pain_prev_7d_mean == Decimal("5.5")
    assert row.pain_trend == "up"


@pytest.mark.parametrize(
    ("this_week", "week_before", "trend"),
    [(5, 4, "up"), (4, 5, "down"), (5, 5, "flat"), (3, 5, "down"), (6, 4, "up")],
)
def test_pain_trend_needs_a_change_of_one_point(
    alice: User, bob: User, alice_team: object, this_week: int, week_before: int, trend: str
) -> None:
    today = date(2026, 3, 20)
    PainEntryFactory(patient=alice, recorded_at=at_noon(today), intensity=this_week)
    PainEntryFactory(
        patient=alice, recorded_at=at_noon(today - timedelta(days=8)), intensity=week_before
    )

    assert row_of(bob, alice, today).pain_trend == trend


def test_a_change_under_one_point_is_flat() -> None:
    row = TriageRow(
        patient=User(),
        today=date(2026, 3, 20),
        pain_7d_mean=Decimal("5.9"),
        pain_prev_7d_mean=Decimal("5.0"),
    )
    assert row.pain_trend == "flat"


def test_pain_trend_is_none_without_the_week_before(
    alice: User, bob: User, alice_team: object
) -> None:
    today = date(2026, 3, 20)
    PainEntryFactory(patient=alice, recorded_at=at_noon(today), intensity=5)

    row = row_of(bob, alice, today)

    assert row.pain_7d_mean == Decimal("5.0")
    assert row.pain_trend is None


def test_a_pain_entry_late_at_night_counts_on_the_local_day(
    alice: User, bob: User, alice_team: object
) -> None:
    today = date(2026, 3, 20)
    # 23:30 in Berlin on the day 7 days before "today" falls in the week before, though
    # in UTC it is 22:30 the same date; 00:30 Berlin on the first day of this week is in it.
    first_day = today - timedelta(days=6)
    PainEntryFactory(
        patient=alice,
        recorded_at=datetime.combine(first_day, time(0, 30), tzinfo=BERLIN),
        intensity=8,
    )
    PainEntryFactory(
        patient=alice,
        recorded_at=datetime.combine(first_day - timedelta(days=1), time(23, 30), tzinfo=BERLIN),
        intensity=2,
    )

    row = row_of(bob, alice, today)

    assert row.pain_7d_mean == Decimal("8.0")
    assert row.pain_prev_7d_mean == Decimal("2.0")


def test_kratom_counts_leaf_grams_per_logged_day_only(
    alice: User, bob: User, alice_team: object
) -> None:
    today = date(2026, 3, 20)
    leaf = {"substance": Substance.KRATOM, "unit": Unit.G}
    UseEntryFactory(patient=alice, taken_at=at_noon(today), form=Form.POWDER, amount=3, **leaf)
    UseEntryFactory(patient=alice, taken_at=at_noon(today), form=Form.TEA, amount=2, **leaf)
    UseEntryFactory(
        patient=alice,
        taken_at=at_noon(today - timedelta(days=1)),
        form=Form.CAPSULE,
        amount=4,
        **leaf,
    )
    # Not leaf: milligrams of extract and 7-OH are not added to grams.
    UseEntryFactory(
        patient=alice,
        taken_at=at_noon(today - timedelta(days=1)),
        substance=Substance.KRATOM,
        form=Form.EXTRACT,
        unit=Unit.MG,
        amount=500,
    )
    # A logged day without kratom counts as 0 g.
    PainEntryFactory(patient=alice, recorded_at=at_noon(today - timedelta(days=2)))
    # Outside the 7 days.
    UseEntryFactory(
        patient=alice,
        taken_at=at_noon(today - timedelta(days=7)),
        form=Form.POWDER,
        amount=9,
        **leaf,
    )

    # (3 + 2 + 4 + 0) g over 3 logged days.
    assert row_of(bob, alice, today).kratom_7d_g_per_day == Decimal("3.0")


def test_kratom_is_none_without_entries_that_ask_about_use(
    alice: User, bob: User, alice_team: object
) -> None:
    SleepEntryFactory(patient=alice)

    assert row_of(bob, alice).kratom_7d_g_per_day is None


def test_sleep_efficiency_is_the_mean_of_the_last_five_nights(
    alice: User, bob: User, alice_team: object
) -> None:
    today = date(2026, 3, 20)
    nights = []
    for days_ago, waso in ((1, 0), (2, 30), (3, 60), (4, 0), (5, 30), (6, 200)):
        nights.append(
            SleepEntryFactory(
                patient=alice,
                night_of=today - timedelta(days=days_ago),
                wake_after_sleep_onset_min=waso,
            )
        )
    expected = (
        sum(
            sleep_metrics(
                bedtime=n.bedtime,
                lights_out_at=n.lights_out_at,
                final_wake_at=n.final_wake_at,
                rise_at=n.rise_at,
                sleep_onset_latency_min=n.sleep_onset_latency_min,
                wake_after_sleep_onset_min=n.wake_after_sleep_onset_min,
            ).sleep_efficiency_pct
            for n in nights[:5]
        )
        / 5
    )

    row = row_of(bob, alice, today)

    assert row.sleep_efficiency_recent == expected.quantize(Decimal("0.1"))
    assert row.sleep_efficiency_recent != Decimal(0)


def test_sleep_efficiency_ignores_nights_older_than_two_weeks(
    alice: User, bob: User, alice_team: object
) -> None:
    today = date(2026, 3, 20)
    SleepEntryFactory(patient=alice, night_of=today - timedelta(days=15))

    assert row_of(bob, alice, today).sleep_efficiency_recent is None


def test_rows_come_most_urgent_first(riverside: Clinic, bob: User) -> None:
    def patient(name: str) -> User:
        user = PatientFactory(display_name=name, clinic=riverside)
        MembershipFactory(patient=user, clinician=bob)
        return user

    quiet, logged_long_ago, logged_lately, unreviewed, two_medium, one_medium, high = (
        patient(n) for n in ("Quiet", "Old", "Late", "Unrev", "TwoMed", "OneMed", "High")
    )
    flag(high, Rule.CO_USE, Severity.HIGH)
    flag(two_medium, Rule.FREQUENT_USE, Severity.MEDIUM)
    flag(two_medium, Rule.ESCALATION, Severity.MEDIUM)
    flag(one_medium, Rule.FREQUENT_USE, Severity.MEDIUM)
    PainEntryFactory(patient=unreviewed)
    PainEntryFactory(patient=unreviewed)
    PainEntryFactory(patient=logged_long_ago)
    PainEntryFactory(patient=logged_lately)

    order = [summary.patient for summary in triage_list(clinician=bob)]

    assert order == [
        high,
        two_medium,
        one_medium,
        unreviewed,
        logged_lately,
        logged_long_ago,
        quiet,
    ]


def test_sort_by_a_figure_puts_missing_figures_last(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    PainEntryFactory(patient=erin, intensity=3)

    def order(ordering: str) -> list[User]:
        return [s.patient for s in triage_list(clinician=bob, ordering=ordering)]

    assert order("-pain_7d_mean") == [erin, alice]
    assert order("pain_7d_mean") == [erin, alice]
    assert order("-name") == [erin, alice]
    assert order("name") == [alice, erin]
    with pytest.raises(ValueError, match="Unknown ordering"):
        order("email")


def test_filters_keep_flagged_or_not_logging_patients(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    flag(alice, Rule.CO_USE, Severity.HIGH)
    PainEntryFactory(patient=alice, recorded_at=timezone.now())
    PainEntryFactory(patient=erin, recorded_at=timezone.now() - timedelta(days=4))

    def patients(**filters: bool) -> list[User]:
        return [s.patient for s in triage_list(clinician=bob, **filters)]

    assert patients(flagged=True) == [alice]
    assert patients(flagged=False) == [erin]
    assert patients(not_logging=True) == [erin]


def test_a_patient_who_never_logged_is_not_logging(
    alice: User, bob: User, alice_team: object
) -> None:
    assert row_of(bob, alice).not_logging


def test_search_matches_name_or_email_ignoring_case(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    assert [r.patient for r in triage_rows(clinician=bob, search="ALI")] == [alice]
    assert [r.patient for r in triage_rows(clinician=bob, search="erin@EX")] == [erin]
    assert triage_rows(clinician=bob, search="nobody") == []


@time_machine.travel(datetime(2026, 6, 10, 18, 0, tzinfo=UTC), tick=False)
def test_the_query_count_is_the_same_for_one_or_five_hundred_patients(
    riverside: Clinic, bob: User, django_assert_num_queries: object
) -> None:
    bulk_patients(clinician=bob, clinic=riverside, count=1)
    with django_assert_num_queries(5) as one:  # type: ignore[operator]
        rows = triage_rows(clinician=bob)
    assert len(rows) == 1

    bulk_patients(clinician=bob, clinic=riverside, count=499, start=1)
    with django_assert_num_queries(len(one.captured_queries)):  # type: ignore[operator]
        rows = triage_rows(clinician=bob)
    assert len(rows) == 500
    assert all(row.open_flags == {"high": 0, "medium": 0, "low": 1} for row in rows)
    assert all(row.kratom_7d_g_per_day == Decimal("2.0") for row in rows)
    assert all(row.sleep_efficiency_recent is not None for row in rows)


# The kept summaries (TriageSummary) ----------------------------------------------------------


def listed(clinician: User) -> dict[User, TriageRow]:
    return {s.patient: row_of_summary(s) for s in triage_list(clinician=clinician)}


def figures(row: TriageRow) -> dict[str, object]:
    return {
        "open_flags": row.open_flags,
        "rules": row.open_flag_rules,
        "unreviewed": row.unreviewed_entries,
        "last": row.last_entry_at,
        "pain": (row.pain_7d_mean, row.pain_prev_7d_mean),
        "kratom": row.kratom_7d_g_per_day,
        "sleep": row.sleep_efficiency_recent,
        "not_logging": row.not_logging,
    }


def test_the_list_shows_what_the_live_computation_gives(
    alice: User, erin: User, bob: User, alice_team: object, erin_team: object
) -> None:
    flag(alice, Rule.CO_USE, Severity.HIGH)
    PainEntryFactory(patient=alice, intensity=6)
    UseEntryFactory(patient=erin, amount=4)
    SleepEntryFactory(patient=erin)

    kept = listed(bob)

    for row in triage_rows(clinician=bob):
        assert figures(kept[row.patient]) == figures(row)


def test_every_change_to_entries_flags_or_reviews_shows_on_the_next_read(
    alice: User, bob: User, alice_team: object
) -> None:
    assert listed(bob)[alice].unreviewed_entries == 0

    entry = PainEntryFactory(patient=alice, intensity=7)
    assert listed(bob)[alice].unreviewed_entries == 1
    assert listed(bob)[alice].pain_7d_mean == Decimal("7.0")

    raised = flag(alice, Rule.CO_USE, Severity.HIGH)
    assert listed(bob)[alice].open_flags == {"high": 1, "medium": 0, "low": 0}

    flag_services.flag_acknowledge(flag=raised, clinician=bob)  # a QuerySet.update(), no signal
    assert listed(bob)[alice].open_flags == {"high": 0, "medium": 0, "low": 0}

    flag_services.review_create(patient=alice, clinician=bob)
    assert listed(bob)[alice].unreviewed_entries == 0

    services.entry_delete(entry=entry)
    assert listed(bob)[alice].pain_7d_mean is None
    assert listed(bob)[alice].last_entry_at is None


def test_a_list_that_is_current_is_read_without_computing(
    alice: User, bob: User, alice_team: object, django_assert_num_queries: object
) -> None:
    PainEntryFactory(patient=alice)
    listed(bob)
    # The ids in scope, each with whether it is stale (none is), then the list.
    with django_assert_num_queries(2):  # type: ignore[operator]
        listed(bob)


def test_the_figures_move_on_with_the_patients_local_day(
    alice: User, bob: User, alice_team: object
) -> None:
    zone = alice.patient_profile.zone
    today = timezone.now().astimezone(zone).date()
    PainEntryFactory(patient=alice, intensity=5, recorded_at=at_noon(today, zone))
    assert listed(bob)[alice].pain_7d_mean == Decimal("5.0")
    assert not listed(bob)[alice].not_logging

    # Nothing is written meanwhile: only the local day moves on.
    week_later = datetime.combine(today + timedelta(days=7), time(0, 1), tzinfo=zone)
    with time_machine.travel(week_later, tick=False):
        row = listed(bob)[alice]
        assert row.pain_7d_mean is None
        assert row.pain_prev_7d_mean == Decimal("5.0")
        assert row.not_logging
        assert [s.patient for s in triage_list(clinician=bob, not_logging=True)] == [alice]


def test_a_summary_computed_before_a_change_committed_is_computed_again(
    alice: User, bob: User, alice_team: object
) -> None:
    """The version is read before the figures: a change that lands between the two leaves
    the kept row older than the patient's version, so the next read computes it again."""
    listed(bob)
    version_before = PatientProfile.objects.get(user=alice).journal_version
    PainEntryFactory(patient=alice, intensity=9)
    summaries_refresh({alice.pk: version_before})  # as if computed just before the entry
    assert TriageSummary.objects.get(patient=alice).version == version_before

    assert listed(bob)[alice].pain_7d_mean == Decimal("9.0")
    assert TriageSummary.objects.get(patient=alice).version == version_before + 1


def test_a_patient_out_of_scope_leaves_the_list_at_once(
    alice: User, bob: User, alice_team: CareTeamMembership, carol: User
) -> None:
    assert list(listed(bob)) == [alice]
    assert listed(carol) == {}  # a clinician not on her team

    alice_team.consent_revoked_at = timezone.now()
    alice_team.save()

    assert listed(bob) == {}


def test_a_new_time_zone_computes_the_figures_again(
    alice: User, bob: User, alice_team: object
) -> None:
    """Local days move with the zone: a late-evening entry can fall on another local day."""
    listed(bob)
    assert TriageSummary.objects.get(patient=alice).timezone == alice.patient_profile.timezone

    patient_services.profile_update(user=alice, timezone_name="Pacific/Kiritimati")

    listed(bob)
    assert TriageSummary.objects.get(patient=alice).timezone == "Pacific/Kiritimati"
