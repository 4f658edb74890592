"""Safety flags: each rule at and around its thresholds, in the patient's local days, and
the evaluation that opens and extends flags idempotently.

The clock stands at 2026-04-02 12:00 UTC: 14:00 in Berlin (alice), 07:00 in Chicago (erin).
"""

import io
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.celery import app as celery_app
from journals import services, tasks
from journals.choices import Form, Reason, Substance, Unit
from journals.flags import services as flag_services
from journals.flags.rules import (
    Dose,
    History,
    Night,
    PainReading,
    findings_for,
    rule_escalation,
    rule_frequent_use,
    rule_high_daily_total,
    rule_pain_worsening,
    rule_poor_sleep,
    rule_withdrawal,
)
from journals.flags.services import (
    _upsert,
    evidence_changed,
    flags_evaluate,
    history_load,
    patients_to_sweep,
)
from journals.models import (
    ClinicThresholds,
    Flag,
    FlagStatus,
    PainEntry,
    PatientThresholds,
    Rule,
    UseEntry,
)
from journals.queue import FLAGS_EVALUATE_TASK
from journals.thresholds import Thresholds, effective_thresholds
from patients.models import User
from tests.factories import PainEntryFactory, SleepEntryFactory, UseEntryFactory
from tests.journals.helpers import BERLIN, CHICAGO, NOW

pytestmark = pytest.mark.usefixtures("frozen_now")

TODAY = date(2026, 4, 2)  # local, in Berlin and in Chicago alike at NOW


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def dose(patient: User, when: datetime, grams: str = "2", **fields: Any) -> UseEntry:
    fields.setdefault("reason", Reason.PAIN)
    return UseEntryFactory(patient=patient, taken_at=when, amount=Decimal(grams), **fields)


def drink(patient: User, when: datetime) -> UseEntry:
    return UseEntryFactory(
        patient=patient,
        taken_at=when,
        substance=Substance.ALCOHOL,
        amount=Decimal(2),
        unit=Unit.STANDARD_DRINK,
        form=Form.LIQUID,
        reason=Reason.MOOD,
    )


def sedative(patient: User, when: datetime, substance: str) -> UseEntry:
    return UseEntryFactory(
        patient=patient,
        taken_at=when,
        substance=substance,
        amount=Decimal(1),
        unit=Unit.MG,
        form=Form.TABLET,
        reason=Reason.SLEEP,
    )


def pain(patient: User, when: datetime, intensity: int) -> PainEntry:
    return PainEntryFactory(patient=patient, recorded_at=when, intensity=intensity)


def night(patient: User, night_of: date, *, in_bed_min: int = 600, asleep_min: int = 540) -> Any:
    """A night from 22:00 local: in bed ``in_bed_min``, asleep ``asleep_min`` (SE = ratio)."""
    zone = patient.patient_profile.zone
    bedtime = at(night_of, 22, zone=zone)
    wake = bedtime + timedelta(minutes=in_bed_min)
    awake = in_bed_min - asleep_min
    return SleepEntryFactory(
        patient=patient,
        night_of=night_of,
        bedtime=bedtime,
        lights_out_at=bedtime,
        final_wake_at=wake,
        rise_at=wake,
        sleep_onset_latency_min=awake // 2,
        wake_after_sleep_onset_min=awake - awake // 2,
    )


def evaluate(patient: User, today: date = TODAY) -> list[Flag]:
    return flags_evaluate(patient_id=patient.pk, today=today)


def flags_of(patient: User, rule: str) -> list[Flag]:
    return list(Flag.objects.filter(patient=patient, rule=rule).order_by("created_at"))


def fired(patient: User, rule: str, today: date = TODAY) -> bool:
    evaluate(patient, today)
    return Flag.objects.filter(patient=patient, rule=rule, status=FlagStatus.OPEN).exists()


def override(patient: User, **values: Any) -> None:
    PatientThresholds.objects.update_or_create(patient=patient, defaults=values)


def evidence_ids(flag: Flag) -> list[str]:
    return [item["entry_id"] for item in flag.evidence]


# co_use ----------------------------------------------------------------------------------


def test_kratom_exactly_six_hours_after_alcohol_is_co_use(alice):
    beer = drink(alice, at(ago(1), 15))
    kratom = dose(alice, at(ago(1), 21))

    [flag] = evaluate(alice)

    assert (flag.rule, flag.severity, flag.status) == ("co_use", "high", "open")
    assert evidence_ids(flag) == [str(beer.pk), str(kratom.pk)]
    assert (flag.window_start, flag.window_end) == (ago(1), ago(1))


def test_kratom_six_hours_and_a_minute_after_alcohol_is_not_co_use(alice):
    drink(alice, at(ago(1), 14, 59))
    dose(alice, at(ago(1), 21))

    assert not fired(alice, "co_use")


def test_alcohol_after_kratom_is_co_use_too(alice):
    dose(alice, at(ago(1), 18))
    drink(alice, at(ago(1), 23, 30))

    assert fired(alice, "co_use")


@pytest.mark.parametrize(
    "substance", [Substance.BENZODIAZEPINE, Substance.OPIOID, Substance.GABAPENTINOID]
)
def test_kratom_with_a_sedating_medicine_is_co_use(alice, substance):
    dose(alice, at(ago(1), 21))
    sedative(alice, at(ago(1), 22), substance)

    assert fired(alice, "co_use")


def test_kratom_with_cannabis_is_not_co_use(alice):
    dose(alice, at(ago(1), 21))
    UseEntryFactory(
        patient=alice,
        taken_at=at(ago(1), 21, 30),
        substance=Substance.CANNABIS,
        amount=Decimal(1),
        unit=Unit.G,
        form=Form.OTHER,
    )

    assert not fired(alice, "co_use")


def test_co_use_across_local_midnight_spans_two_local_days_in_chicago(erin):
    dose(erin, at(ago(2), 23, 30, CHICAGO))
    sedative(erin, at(ago(1), 1, 0, CHICAGO), Substance.BENZODIAZEPINE)

    [flag] = evaluate(erin)

    assert (flag.window_start, flag.window_end) == (ago(2), ago(1))
    assert flag.evidence[0]["at"] == "2026-03-31T23:30:00-05:00"
    assert flag.evidence[0]["kind"] == "use"
    assert flag.evidence[0]["values"]["substance"] == "kratom"


def test_co_use_counts_real_hours_across_the_dst_change(alice):
    # 2026-03-29 in Berlin: 00:00 CET to 06:30 CEST is 6.5 h on the wall but 5.5 h of time.
    dose(alice, at(date(2026, 3, 29), 0, 0))
    drink(alice, at(date(2026, 3, 29), 6, 30))

    assert fired(alice, "co_use")


def test_a_longer_co_use_window_for_the_patient_catches_seven_hours(alice):
    drink(alice, at(ago(1), 14))
    dose(alice, at(ago(1), 21))
    assert not fired(alice, "co_use")

    override(alice, co_use_window_hours=8)

    assert fired(alice, "co_use")


# seven_oh_product ------------------------------------------------------------------------


def test_any_seven_oh_product_is_a_high_flag(alice):
    dose(alice, at(ago(3), 16), "15", unit=Unit.MG, form=Form.SEVEN_OH)

    [flag] = evaluate(alice)

    assert (flag.rule, flag.severity) == ("seven_oh_product", "high")


def test_a_kratom_extract_is_not_a_seven_oh_product(alice):
    dose(alice, at(ago(3), 16), "15", unit=Unit.MG, form=Form.EXTRACT)

    assert evaluate(alice) == []


# high_single_dose ------------------------------------------------------------------------


def test_a_five_gram_dose_is_not_high(alice):
    dose(alice, at(ago(1), 20), "5")

    assert not fired(alice, "high_single_dose")


def test_a_leaf_dose_just_above_five_grams_is_high(alice):
    dose(alice, at(ago(1), 20), "5.01")

    [flag] = evaluate(alice)

    assert (flag.rule, flag.severity) == ("high_single_dose", "medium")
    assert flag.evidence[0]["values"]["amount"] == "5.010"


def test_extract_milligrams_are_not_leaf_grams(alice):
    dose(alice, at(ago(1), 20), "40", unit=Unit.MG, form=Form.EXTRACT)

    assert not fired(alice, "high_single_dose")


def test_a_lower_single_dose_threshold_for_the_patient_flags_four_and_a_half_grams(alice):
    dose(alice, at(ago(1), 20), "4.5")
    assert not fired(alice, "high_single_dose")

    override(alice, single_dose_g=Decimal(4))

    assert fired(alice, "high_single_dose")


# high_daily_total ------------------------------------------------------------------------


def test_fifteen_grams_in_a_day_is_not_above_the_daily_total(alice):
    for hour in (8, 14, 20):
        dose(alice, at(ago(1), hour), "5")

    assert not fired(alice, "high_daily_total")


def test_just_over_fifteen_grams_in_a_local_day_is_a_high_flag(alice):
    for hour, grams in ((8, "5"), (14, "5"), (20, "5.25")):
        dose(alice, at(ago(1), hour), grams)

    [flag] = Flag.objects.filter(rule="high_daily_total", pk__in=[f.pk for f in evaluate(alice)])

    assert flag.severity == "high"
    assert len(flag.evidence) == 3
    assert (flag.window_start, flag.window_end) == (ago(1), ago(1))


def test_the_daily_total_splits_at_local_midnight_not_utc_midnight(erin):
    # Both doses fall on the same UTC day (2026-04-01) but on two local days in Chicago.
    dose(erin, at(ago(2), 22, 0, CHICAGO), "5", form=Form.TEA)
    dose(erin, at(ago(2), 23, 30, CHICAGO), "5", form=Form.TEA)
    dose(erin, at(ago(1), 0, 30, CHICAGO), "5.5", form=Form.TEA)

    assert not fired(erin, "high_daily_total")


def test_leaf_grams_add_up_within_one_local_day_in_chicago(erin):
    dose(erin, at(ago(1), 0, 30, CHICAGO), "5")
    dose(erin, at(ago(1), 12, 0, CHICAGO), "5")
    dose(erin, at(ago(1), 23, 30, CHICAGO), "5.5")

    assert fired(erin, "high_daily_total")


# frequent_use ----------------------------------------------------------------------------


def test_two_kratom_doses_in_a_day_are_not_frequent(alice):
    dose(alice, at(ago(1), 8))
    dose(alice, at(ago(1), 20))

    assert not fired(alice, "frequent_use")


def test_three_kratom_doses_in_a_local_day_are_frequent_use(alice):
    dose(alice, at(ago(1), 8))
    dose(alice, at(ago(1), 14), "10", unit=Unit.MG, form=Form.EXTRACT)
    dose(alice, at(ago(1), 20))

    evaluate(alice)
    [flag] = flags_of(alice, "frequent_use")

    assert flag.severity == "medium"
    assert len(flag.evidence) == 3


def test_three_doses_across_local_midnight_are_two_days(alice):
    dose(alice, at(ago(2), 18))
    dose(alice, at(ago(2), 23, 50))
    dose(alice, at(ago(1), 0, 10))

    assert not fired(alice, "frequent_use")


def test_a_patient_threshold_of_two_doses_a_day_flags_two(alice):
    dose(alice, at(ago(1), 8))
    dose(alice, at(ago(1), 20))

    override(alice, frequent_doses_per_day=2)

    assert fired(alice, "frequent_use")


# escalation ------------------------------------------------------------------------------


def daily_use(patient: User, *, first: int, last: int, grams: str) -> None:
    """One evening dose a day from ``first`` to ``last`` days ago (inclusive)."""
    for days in range(first, last - 1, -1):
        dose(patient, at(ago(days), 20), grams)


def escalation_history(patient: User, *, baseline: str, recent: str, baseline_days: int = 28):
    daily_use(patient, first=7 + baseline_days, last=8, grams=baseline)
    daily_use(patient, first=7, last=1, grams=recent)


def test_from_two_to_four_grams_a_day_is_escalation(alice):
    escalation_history(alice, baseline="2", recent="4")

    evaluate(alice)
    [flag] = flags_of(alice, "escalation")

    assert flag.severity == "medium"
    assert (flag.window_start, flag.window_end) == (ago(7), ago(1))
    assert len(flag.evidence) == 7


def test_a_rise_of_less_than_two_grams_a_day_is_not_escalation(alice):
    escalation_history(alice, baseline="2", recent="3.75")  # ratio 1.9, but only +1.75 g

    assert not fired(alice, "escalation")


def test_a_rise_below_one_and_a_half_times_is_not_escalation(alice):
    escalation_history(alice, baseline="6", recent="8.75")  # +2.75 g, but ratio 1.46

    assert not fired(alice, "escalation")


def test_exactly_one_and_a_half_times_and_two_grams_more_is_escalation(alice):
    escalation_history(alice, baseline="4", recent="6")

    assert fired(alice, "escalation")


def test_escalation_needs_fourteen_days_of_baseline(alice):
    escalation_history(alice, baseline="2", recent="4", baseline_days=13)

    assert not fired(alice, "escalation")


def test_fourteen_days_of_baseline_are_enough(alice):
    escalation_history(alice, baseline="2", recent="4", baseline_days=14)

    assert fired(alice, "escalation")


def test_todays_unfinished_day_does_not_count_for_escalation(alice):
    escalation_history(alice, baseline="2", recent="2")
    dose(alice, at(TODAY, 9), "20")  # would lift a mean that counted today by ~2.6 g

    assert not fired(alice, "escalation")


def test_a_lower_escalation_ratio_for_the_patient_flags_a_smaller_rise(alice):
    escalation_history(alice, baseline="6", recent="8.75")
    override(alice, escalation_ratio=Decimal("1.4"))

    assert fired(alice, "escalation")


# withdrawal ------------------------------------------------------------------------------


def test_a_dose_for_withdrawal_is_a_withdrawal_flag(alice):
    dose(alice, at(ago(1), 8), reason=Reason.WITHDRAWAL)

    [flag] = evaluate(alice)

    assert (flag.rule, flag.severity) == ("withdrawal", "medium")


def pause_after_daily_use(patient: User, *, use_days: int, efficiency_asleep_min: int) -> None:
    """Daily use up to 4 days ago, none on the 3 days since, the pause's first night as given."""
    daily_use(patient, first=3 + use_days, last=4, grams="3")
    night(patient, ago(3), in_bed_min=600, asleep_min=efficiency_asleep_min)


def test_two_days_off_after_two_weeks_of_daily_use_with_poor_sleep_is_withdrawal(alice):
    pause_after_daily_use(alice, use_days=14, efficiency_asleep_min=500)  # SE 83.3 %

    evaluate(alice)
    [flag] = flags_of(alice, "withdrawal")

    assert (flag.window_start, flag.window_end) == (ago(4), ago(3))
    assert [item["kind"] for item in flag.evidence] == ["use", "sleep"]


def test_a_pause_with_sleep_efficiency_at_85_percent_is_not_withdrawal(alice):
    pause_after_daily_use(alice, use_days=14, efficiency_asleep_min=510)  # SE 85.0 %

    assert not fired(alice, "withdrawal")


def test_a_pause_after_thirteen_days_of_use_is_not_withdrawal(alice):
    pause_after_daily_use(alice, use_days=13, efficiency_asleep_min=500)

    assert not fired(alice, "withdrawal")


# pain_worsening --------------------------------------------------------------------------


def pain_history(patient: User, *, baseline: int, recent: list[int]) -> None:
    for days in range(30, 2, -1):
        pain(patient, at(ago(days), 20), baseline)
    for days, intensity in zip((2, 1, 0), recent, strict=False):
        pain(patient, at(ago(days), 12), intensity)


def test_a_three_day_mean_two_points_above_the_month_is_pain_worsening(alice):
    pain_history(alice, baseline=4, recent=[6, 6, 6])

    evaluate(alice)
    [flag] = flags_of(alice, "pain_worsening")

    assert flag.severity == "medium"
    assert (flag.window_start, flag.window_end) == (ago(2), TODAY)


def test_a_three_day_mean_under_two_points_above_is_not_pain_worsening(alice):
    pain_history(alice, baseline=4, recent=[6, 6, 5])

    assert not fired(alice, "pain_worsening")


def test_a_pain_of_nine_is_pain_worsening(alice):
    pain(alice, at(ago(5), 20), 9)

    assert fired(alice, "pain_worsening")


def test_a_pain_of_eight_alone_is_not_pain_worsening(alice):
    pain(alice, at(ago(5), 20), 8)

    assert not fired(alice, "pain_worsening")


def test_a_patient_threshold_of_eight_flags_a_pain_of_eight(alice):
    pain(alice, at(ago(5), 20), 8)
    override(alice, pain_high=8)

    assert fired(alice, "pain_worsening")


# poor_sleep ------------------------------------------------------------------------------


def test_three_poor_nights_of_the_last_five_are_poor_sleep(alice):
    for days in (5, 3, 1):
        night(alice, ago(days), asleep_min=509)  # SE 84.8 %
    for days in (4, 2):
        night(alice, ago(days))

    evaluate(alice)
    [flag] = flags_of(alice, "poor_sleep")

    assert (flag.severity, len(flag.evidence)) == ("low", 3)
    assert (flag.window_start, flag.window_end) == (ago(5), ago(1))


def test_nights_at_85_percent_efficiency_are_not_poor(alice):
    for days in (5, 3, 1):
        night(alice, ago(days), asleep_min=510)  # SE 85.0 %

    assert not fired(alice, "poor_sleep")


def test_short_nights_under_five_hours_are_poor_even_when_efficient(alice):
    for days in (3, 2, 1):
        night(alice, ago(days), in_bed_min=310, asleep_min=299)

    assert fired(alice, "poor_sleep")


def test_five_hour_nights_are_not_poor(alice):
    for days in (3, 2, 1):
        night(alice, ago(days), in_bed_min=310, asleep_min=300)

    assert not fired(alice, "poor_sleep")


def test_a_poor_night_six_nights_ago_is_not_among_the_last_five(alice):
    for days in (6, 2, 1):
        night(alice, ago(days), asleep_min=400)

    assert not fired(alice, "poor_sleep")


def test_a_lower_efficiency_threshold_for_the_patient_clears_poor_sleep(alice):
    for days in (3, 2, 1):
        night(alice, ago(days), asleep_min=480)  # SE 80 %
    override(alice, poor_sleep_efficiency_pct=Decimal(75))

    assert not fired(alice, "poor_sleep")


# stopped_logging -------------------------------------------------------------------------


def test_three_full_days_without_logging_is_stopped_logging(alice):
    last = pain(alice, at(ago(4), 20), 5)

    [flag] = evaluate(alice)

    assert (flag.rule, flag.severity) == ("stopped_logging", "low")
    assert (flag.window_start, flag.window_end) == (ago(3), TODAY)
    assert evidence_ids(flag) == [str(last.pk)]


def test_two_full_days_without_logging_is_not_stopped_logging(alice):
    pain(alice, at(ago(3), 20), 5)

    assert not fired(alice, "stopped_logging")


def test_a_patient_who_never_logged_has_not_stopped_logging(alice):
    assert evaluate(alice) == []


def test_stopped_logging_counts_local_days_in_chicago(erin):
    # 23:30 on 2026-03-29 in Chicago is 2026-03-30 in UTC: three full local days since.
    pain(erin, at(ago(4), 23, 30, CHICAGO), 5)

    assert fired(erin, "stopped_logging")


def test_a_longer_stopped_logging_threshold_for_the_patient_waits(alice):
    pain(alice, at(ago(4), 20), 5)
    override(alice, stopped_logging_days=5)

    assert not fired(alice, "stopped_logging")


def test_stopped_logging_is_seen_by_the_sweeps_clock_later(alice):
    pain(alice, at(ago(1), 20), 5)
    assert not fired(alice, "stopped_logging")

    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        flags_evaluate(patient_id=alice.pk)

    assert flags_of(alice, "stopped_logging")


# Evaluation: upsert, idempotency, queries ------------------------------------------------


def snapshot(patient: User) -> list[tuple[Any, ...]]:
    return list(
        Flag.objects.filter(patient=patient)
        .order_by("rule", "created_at")
        .values_list("id", "rule", "status", "window_start", "window_end", "evidence", "updated_at")
    )


def test_evaluating_twice_changes_nothing(alice):
    drink(alice, at(ago(2), 19))
    dose(alice, at(ago(2), 21), "6")
    pain(alice, at(ago(1), 20), 9)
    evaluate(alice)
    before = snapshot(alice)

    evaluate(alice)

    assert snapshot(alice) == before
    assert len(before) == 3


def test_new_co_use_extends_the_open_flag(alice):
    first = [drink(alice, at(ago(5), 19)), dose(alice, at(ago(5), 21))]
    evaluate(alice)
    later = [drink(alice, at(ago(1), 19)), dose(alice, at(ago(1), 21))]

    evaluate(alice)

    [flag] = flags_of(alice, "co_use")
    assert (flag.window_start, flag.window_end) == (ago(5), ago(1))
    assert evidence_ids(flag) == [str(e.pk) for e in [*first, *later]]


def test_one_entry_in_two_co_use_pairs_is_evidence_once(alice):
    drink(alice, at(ago(1), 18))
    dose(alice, at(ago(1), 20))
    dose(alice, at(ago(1), 22))

    evaluate(alice)

    [flag] = flags_of(alice, "co_use")
    assert len(flag.evidence) == len(set(evidence_ids(flag))) == 3


def test_after_acknowledging_the_same_evidence_opens_no_new_flag(alice, bob):
    drink(alice, at(ago(2), 19))
    dose(alice, at(ago(2), 21))
    [flag] = evaluate(alice)
    flag_services.flag_acknowledge(flag=flag, clinician=bob, note="Talked about it.")

    assert evaluate(alice) == []
    assert [f.status for f in flags_of(alice, "co_use")] == ["acknowledged"]


def test_after_acknowledging_a_new_occurrence_opens_a_new_flag(alice, bob):
    drink(alice, at(ago(3), 19))
    dose(alice, at(ago(3), 21))
    [flag] = evaluate(alice)
    flag_services.flag_acknowledge(flag=flag, clinician=bob)
    later = [drink(alice, at(ago(1), 19)), dose(alice, at(ago(1), 21))]

    evaluate(alice)

    old, new = flags_of(alice, "co_use")
    assert (old.status, new.status) == ("acknowledged", "open")
    assert evidence_ids(new) == [str(e.pk) for e in later]
    assert (new.window_start, new.window_end) == (ago(1), ago(1))


def test_after_resolving_stopped_logging_the_same_gap_opens_no_new_flag(alice, bob):
    pain(alice, at(ago(5), 20), 5)
    [flag] = evaluate(alice)
    flag_services.flag_resolve(flag=flag, clinician=bob, note="Phoned, on holiday.")

    assert evaluate(alice, today=TODAY + timedelta(days=2)) == []


def test_a_new_gap_after_logging_again_opens_a_new_stopped_logging_flag(alice, bob):
    pain(alice, at(ago(5), 20), 5)
    [flag] = evaluate(alice)
    flag_services.flag_resolve(flag=flag, clinician=bob)
    pain(alice, at(TODAY, 13), 4)

    later = TODAY + timedelta(days=4)
    [new] = evaluate(alice, today=later)

    assert (new.window_start, new.window_end) == (TODAY + timedelta(days=1), later)


def test_an_evaluation_that_lost_the_race_extends_the_open_flag(alice):
    drink(alice, at(ago(1), 19))
    dose(alice, at(ago(1), 21))
    [flag] = evaluate(alice)
    later_dose = dose(alice, at(ago(1), 23))
    findings = [
        f
        for f in findings_for(
            flags_history(alice), Thresholds(), TODAY
        )  # what a concurrent evaluation saw
        if f.rule == Rule.CO_USE
    ]

    # It did not see the open flag (open_flag=None): the constraint stops a second one.
    merged = _upsert(patient=alice, rule=Rule.CO_USE, findings=findings, open_flag=None)

    assert merged.pk == flag.pk
    assert str(later_dose.pk) in evidence_ids(Flag.objects.get(pk=flag.pk))
    assert Flag.objects.filter(patient=alice, rule="co_use").count() == 1


def flags_history(patient: User) -> History:
    return history_load(patient=patient, zone=patient.patient_profile.zone, today=TODAY)


def test_evaluation_reads_in_a_constant_number_of_queries(alice, erin):
    pain(alice, at(ago(1), 20), 5)
    for days in range(1, 30):
        pain(erin, at(ago(days), 20, zone=CHICAGO), 5)
        night(erin, ago(days))
        dose(erin, at(ago(days), 20, zone=CHICAGO))
    with CaptureQueriesContext(connection) as one:
        evaluate(alice)
    with CaptureQueriesContext(connection) as many:
        evaluate(erin)

    assert len(one) == len(many) <= 10


def test_an_unknown_or_clinician_id_evaluates_to_nothing(bob):
    assert flags_evaluate(patient_id=uuid.uuid4()) == []
    assert flags_evaluate(patient_id=bob.pk) == []


# The evidence kept, and the entry now -------------------------------------------------------


def test_an_open_flag_keeps_the_evidence_of_an_entry_changed_since_and_tells_it_changed(alice):
    entry = dose(alice, at(ago(1), 21), "7")
    [flag] = evaluate(alice)
    services.entry_update(entry=entry, data={"amount": Decimal("0.5")})
    evaluate(alice)

    [item] = Flag.objects.get(pk=flag.pk).evidence
    entry.refresh_from_db()
    assert item["values"]["amount"] == "7.000"
    assert evidence_changed(item, entry, BERLIN)


def test_evidence_is_unchanged_while_what_the_rule_saw_is(alice):
    entry = dose(alice, at(ago(1), 21), "7")
    [flag] = evaluate(alice)
    services.entry_update(entry=entry, data={"note": "After a long day."})
    entry.refresh_from_db()

    [item] = flag.evidence
    assert not evidence_changed(item, entry, BERLIN)
    assert not evidence_changed(item, entry, CHICAGO)  # the same instant, in another zone


def test_a_moved_time_changes_the_evidence(alice):
    pain(alice, at(ago(5), 20), 5)
    [flag] = evaluate(alice)  # stopped_logging: the last entry, no values
    entry = PainEntry.objects.get(patient=alice)
    services.entry_update(entry=entry, data={"recorded_at": at(ago(5), 21)})

    assert not flag.evidence[0]["values"]
    assert evidence_changed(flag.evidence[0], entry, BERLIN)


# Hypothesis: the rules that aggregate ----------------------------------------------------

AGGREGATING = [
    rule_escalation,
    rule_frequent_use,
    rule_high_daily_total,
    rule_pain_worsening,
    rule_poor_sleep,
    rule_withdrawal,
]

moments = st.datetimes(min_value=datetime(2026, 2, 20), max_value=datetime(2026, 4, 2, 13)).map(
    lambda d: d.replace(tzinfo=BERLIN)
)
doses = st.builds(
    Dose,
    id=st.uuids(),
    at=moments,
    substance=st.sampled_from([Substance.KRATOM, Substance.ALCOHOL]),
    form=st.sampled_from([Form.POWDER, Form.CAPSULE, Form.TEA, Form.EXTRACT]),
    amount=st.decimals(min_value=Decimal("0.1"), max_value=Decimal(15), places=2),
    unit=st.just(Unit.G),
    reason=st.sampled_from([Reason.PAIN, Reason.SLEEP]),
)
pains = st.builds(PainReading, id=st.uuids(), at=moments, intensity=st.integers(0, 8))
nights = st.builds(
    lambda id_, day, eff, tst: Night(id_, day, at(day, 22), day, eff, tst),
    st.uuids(),
    st.dates(min_value=date(2026, 2, 20), max_value=date(2026, 4, 1)),
    st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=1),
    st.integers(0, 900),
)


@given(one=st.one_of(st.none(), doses, pains, nights))
def test_no_aggregating_rule_fires_on_an_empty_or_single_entry_history(one):
    day = one.night_of if isinstance(one, Night) else one.at.date() if one else None
    history = History(
        zone=BERLIN,
        logged_days=frozenset({day} if day else ()),
        doses=(one,) if isinstance(one, Dose) else (),
        pains=(one,) if isinstance(one, PainReading) else (),
        nights=(one,) if isinstance(one, Night) else (),
    )

    for rule in AGGREGATING:
        assert rule(history, Thresholds(), TODAY) == []


journal_days = st.integers(min_value=0, max_value=20)
generated_doses = st.lists(
    st.tuples(
        journal_days,
        st.integers(0, 23),
        st.sampled_from(["kratom", "alcohol"]),
        st.sampled_from(["1", "3", "6", "12"]),
    ),
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=generated_doses, intensities=st.lists(st.integers(0, 10), max_size=6))
def test_any_history_evaluated_twice_keeps_one_open_flag_per_rule(alice, entries, intensities):
    Flag.objects.filter(patient=alice).delete()
    UseEntry.objects.filter(patient=alice).delete()
    PainEntry.objects.filter(patient=alice).delete()
    for days, hour, substance, grams in entries:
        when = at(ago(days), hour)
        if substance == "kratom":
            dose(alice, when, grams)
        else:
            drink(alice, when)
    for days, intensity in enumerate(intensities):
        pain(alice, at(ago(days), 8), intensity)

    evaluate(alice)
    first = snapshot(alice)
    evaluate(alice)

    assert snapshot(alice) == first
    open_rules = [row[1] for row in first if row[2] == FlagStatus.OPEN]
    assert len(open_rules) == len(set(open_rules))


# Celery: enqueue after commit, the task, the sweep ---------------------------------------


def record_evaluations(monkeypatch, sent: list[str]) -> None:
    """The evaluations the journal publishes (by the task's name, ``journals.queue``)."""

    def send_task(name: str, args: tuple[str, ...]) -> None:
        assert name == FLAGS_EVALUATE_TASK
        sent.extend(args)

    monkeypatch.setattr(celery_app, "send_task", send_task)


def test_saving_an_entry_enqueues_one_evaluation_after_commit(
    alice, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[str] = []
    record_evaluations(monkeypatch, sent)

    with django_capture_on_commit_callbacks(execute=True):
        services.entry_create(
            patient=alice,
            model=PainEntry,
            data={"recorded_at": at(TODAY, 9), "intensity": 4, "locations": []},
        )

    assert sent == [str(alice.pk)]


def test_a_check_in_of_several_entries_enqueues_one_evaluation(
    alice, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[str] = []
    record_evaluations(monkeypatch, sent)
    use = {
        "taken_at": at(TODAY, 9),
        "substance": Substance.KRATOM,
        "amount": Decimal(2),
        "unit": Unit.G,
        "form": Form.POWDER,
    }

    with django_capture_on_commit_callbacks(execute=True):
        services.entries_create(
            patient=alice,
            parts={
                "pain": (PainEntry, {"recorded_at": at(TODAY, 9), "intensity": 4}),
                "use": (UseEntry, use),
                "use2": (UseEntry, {**use, "taken_at": at(TODAY, 10)}),
            },
        )

    assert sent == [str(alice.pk)]


def test_changing_or_deleting_an_entry_enqueues_an_evaluation(
    alice, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[str] = []
    record_evaluations(monkeypatch, sent)
    entry = pain(alice, at(TODAY, 9), 4)

    with django_capture_on_commit_callbacks(execute=True):
        services.entry_update(entry=entry, data={"intensity": 9})
    with django_capture_on_commit_callbacks(execute=True):
        services.entry_delete(entry=entry)

    assert sent == [str(alice.pk), str(alice.pk)]


def test_a_broker_that_is_down_does_not_fail_the_save(
    alice, django_capture_on_commit_callbacks, monkeypatch
):
    def down(name: str, args: tuple[str, ...]) -> None:
        raise OSError("broker down")

    monkeypatch.setattr(celery_app, "send_task", down)

    with django_capture_on_commit_callbacks(execute=True):
        services.entry_create(
            patient=alice,
            model=PainEntry,
            data={"recorded_at": at(TODAY, 9), "intensity": 4, "locations": []},
        )

    assert PainEntry.objects.filter(patient=alice).count() == 1


def test_the_task_evaluates_the_patient(alice):
    dose(alice, at(ago(1), 20), "7")

    assert tasks.flags_evaluate_task.run(str(alice.pk)) == 1
    assert flags_of(alice, "high_single_dose")


def test_the_sweep_fans_out_to_active_patients_who_logged(alice, erin, riverside, monkeypatch):
    from tests.factories import PatientFactory

    gone = PatientFactory(clinic=riverside, is_active=False)
    pain(alice, at(ago(10), 20), 5)
    pain(gone, at(ago(10), 20), 5)
    sent: list[str] = []
    monkeypatch.setattr(tasks.flags_evaluate_task, "delay", sent.append)

    assert tasks.flags_sweep_task.run() == 1
    assert sent == [str(alice.pk)]
    assert list(patients_to_sweep()) == [alice]


def test_the_sweep_is_scheduled_hourly():
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["flags-sweep"]
    assert entry == {"task": "journals.tasks.flags_sweep_task", "schedule": 3600}


# The demo --------------------------------------------------------------------------------


@pytest.fixture
def demo(db: None) -> dict[str, set[str]]:
    call_command("seed_demo", stdout=io.StringIO())
    by_patient: dict[str, set[str]] = {}
    for email, rule in Flag.objects.values_list("patient__email", "rule"):
        by_patient.setdefault(email.split("@")[0], set()).add(rule)
    return by_patient


def test_the_demo_flags_its_escalating_and_co_using_patients(demo):
    assert "escalation" in demo["dana"]
    assert "co_use" in demo["george"]
    assert "co_use" in demo["hana"]
    assert "seven_oh_product" in demo["ivan"]
    assert demo["jo"] == {"stopped_logging"}
    assert "poor_sleep" in demo["fatima"]
    assert "lena" not in demo


def test_the_demo_evaluated_again_changes_nothing(demo):
    before = list(Flag.objects.order_by("id").values_list("id", "evidence", "updated_at"))

    for patient_id in User.objects.filter(role="patient").values_list("pk", flat=True):
        flags_evaluate(patient_id=patient_id)

    assert list(Flag.objects.order_by("id").values_list("id", "evidence", "updated_at")) == before


def test_a_clinic_default_set_by_staff_applies_to_its_patients(alice):
    ClinicThresholds.objects.create(clinic=alice.patient_profile.clinic, single_dose_g=Decimal(8))

    assert effective_thresholds(patient=alice).single_dose_g == Decimal(8)
