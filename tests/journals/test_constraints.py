"""The database enforces the ranges and uniqueness itself, whatever skips validation."""

import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from journals.choices import Form, Substance, Unit, allowed_units
from journals.models import PainEntry, PegAssessment, SleepEntry, UseEntry
from tests.factories import UseEntryFactory
from tests.journals.helpers import NOW, sleep_times


def violates_a_constraint(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize("intensity", [-1, 11, 100])
def test_the_database_refuses_a_pain_intensity_outside_0_to_10(alice, intensity):
    assert violates_a_constraint(
        lambda: PainEntry.objects.create(patient=alice, recorded_at=NOW, intensity=intensity)
    )
    assert PainEntry.objects.count() == 0


@pytest.mark.parametrize("intensity", [0, 10])
def test_the_database_takes_a_pain_intensity_of_0_or_10(alice, intensity):
    assert not violates_a_constraint(
        lambda: PainEntry.objects.create(patient=alice, recorded_at=NOW, intensity=intensity)
    )


@pytest.mark.parametrize(
    "field", ["pain_average", "enjoyment_interference", "activity_interference"]
)
def test_the_database_refuses_a_peg_item_over_10(alice, field):
    items = {"pain_average": 5, "enjoyment_interference": 5, "activity_interference": 5}

    assert violates_a_constraint(
        lambda: PegAssessment.objects.create(patient=alice, recorded_at=NOW, **{**items, field: 11})
    )


def _sleep(patient, night=date(2026, 3, 1), **overrides):
    fields = {
        "patient": patient,
        "night_of": night,
        **sleep_times(night, patient.patient_profile.zone),
        "sleep_onset_latency_min": 20,
        "awakenings": 2,
        "wake_after_sleep_onset_min": 40,
        "quality": 3,
        **overrides,
    }
    return SleepEntry.objects.create(**fields)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quality", 0),
        ("quality", 6),
        ("sleep_onset_latency_min", 24 * 60 + 1),
        ("wake_after_sleep_onset_min", 24 * 60 + 1),
        ("awakenings", 100),
    ],
)
def test_the_database_refuses_sleep_values_out_of_range(alice, field, value):
    assert violates_a_constraint(lambda: _sleep(alice, **{field: value}))


def test_the_database_refuses_a_second_sleep_entry_for_the_same_patient_and_night(alice):
    _sleep(alice)

    assert violates_a_constraint(lambda: _sleep(alice))
    assert SleepEntry.objects.count() == 1


def test_the_database_keeps_one_sleep_entry_per_night_for_each_patient(alice, erin):
    _sleep(alice)

    assert not violates_a_constraint(lambda: _sleep(erin))


@pytest.mark.parametrize(
    ("field", "before", "minutes"),
    [
        pytest.param("lights_out_at", "bedtime", -5, id="lights-out-before-bed"),
        pytest.param("final_wake_at", "lights_out_at", 0, id="final-wake-at-lights-out"),
        pytest.param("rise_at", "final_wake_at", -5, id="rise-before-final-wake"),
    ],
)
def test_the_database_refuses_sleep_times_out_of_order(alice, field, before, minutes):
    times = sleep_times(date(2026, 3, 1))
    moved = times[before] + timedelta(minutes=minutes)

    assert violates_a_constraint(lambda: _sleep(alice, **{field: moved}))


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-1")])
def test_the_database_refuses_an_amount_of_zero_or_less(alice, amount):
    assert violates_a_constraint(lambda: UseEntryFactory(patient=alice, amount=amount))


def test_the_database_refuses_a_kratom_leaf_dose_over_50_g(alice):
    assert violates_a_constraint(lambda: UseEntryFactory(patient=alice, amount=Decimal("50.001")))
    assert not violates_a_constraint(lambda: UseEntryFactory(patient=alice, amount=Decimal(50)))


def test_the_database_refuses_more_than_30_standard_drinks(alice):
    def drinks(amount):
        return lambda: UseEntryFactory(
            patient=alice, substance="alcohol", form="liquid", unit="standard_drink", amount=amount
        )

    assert violates_a_constraint(drinks(Decimal("30.5")))
    assert not violates_a_constraint(drinks(Decimal(30)))


@pytest.mark.parametrize(
    ("field", "value"),
    [("substance", "coffee"), ("form", "gummy"), ("mixed_with", "soda"), ("reason", "fun")],
)
def test_the_database_refuses_a_value_outside_a_vocabulary(alice, field, value):
    assert violates_a_constraint(lambda: UseEntryFactory(patient=alice, **{field: value}))


@pytest.mark.parametrize(
    ("substance", "form"), [(s, f) for s in Substance.values for f in Form.values]
)
def test_the_unit_constraint_agrees_with_allowed_units(alice, substance, form):
    """unit_fits_q(), the check constraint, takes exactly what allowed_units() allows."""
    stored = set()
    for unit in Unit.values:

        def insert(unit=unit):
            UseEntry.objects.create(
                patient=alice,
                taken_at=NOW,
                substance=substance,
                form=form,
                unit=unit,
                amount=Decimal(1),
            )

        if not violates_a_constraint(insert):
            stored.add(unit)

    assert stored == set(allowed_units(substance, form))


def _unit_rule_repr(hash_seed: str) -> str:
    code = "from journals.choices import unit_fits_q; print(repr(unit_fits_q()))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )
    return result.stdout


def test_the_unit_constraint_is_built_the_same_whatever_the_hash_seed():
    assert _unit_rule_repr("1") == _unit_rule_repr("2") == _unit_rule_repr("3")
