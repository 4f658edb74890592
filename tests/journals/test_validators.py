"""The journal's domain rules (journals.validators), by example and by property."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from journals.choices import Form, Substance, Unit, allowed_units
from journals.validators import Errors, check_moment, night_of_for, validate_sleep, validate_use
from tests.journals.helpers import BERLIN, CHICAGO, NOW, local, sleep_times
from tests.journals.strategies import ZONES, Diary, diaries

PROPERTY = settings(max_examples=100, deadline=None)


@pytest.fixture(autouse=True, scope="module")
def _frozen_clock() -> Iterator[None]:
    """The rules look at the clock (nothing in the future): keep it at NOW throughout."""
    with time_machine.travel(NOW, tick=False):
        yield


def errors_of(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        call(**kwargs)
    return raised.value.message_dict


def sleep_kwargs(diary: Diary, **overrides):
    return {"zone": diary.zone, "night_of": diary.night_of, **diary.times(), **overrides}


# Sleep: properties ----------------------------------------------------------------------


@PROPERTY
@given(diary=diaries())
def test_validate_sleep_accepts_every_valid_diary(diary):
    validate_sleep(**sleep_kwargs(diary))


@PROPERTY
@given(diary=diaries(whole_minutes=False))
def test_validate_sleep_accepts_every_valid_diary_given_to_the_second(diary):
    validate_sleep(**sleep_kwargs(diary))


def _moved(diary: Diary, field: str, anchor: str, minutes: int) -> datetime:
    """``field`` set ``minutes`` real minutes after ``anchor``, in the diary's zone."""
    at = getattr(diary, anchor).astimezone(UTC) + timedelta(minutes=minutes)
    return at.astimezone(diary.zone)


@PROPERTY
@given(diary=diaries(), early=st.integers(1, 180))
def test_validate_sleep_rejects_lights_out_before_bedtime(diary, early):
    broken = sleep_kwargs(diary, lights_out_at=_moved(diary, "lights_out_at", "bedtime", -early))

    assert "lights_out_at" in errors_of(validate_sleep, **broken)


@PROPERTY
@given(diary=diaries(), early=st.integers(0, 180))
def test_validate_sleep_rejects_a_final_wake_not_after_lights_out(diary, early):
    final_wake = _moved(diary, "final_wake_at", "lights_out_at", -early)
    broken = sleep_kwargs(diary, final_wake_at=final_wake)

    assert "final_wake_at" in errors_of(validate_sleep, **broken)


@PROPERTY
@given(diary=diaries(), early=st.integers(1, 180))
def test_validate_sleep_rejects_rising_before_the_final_wake(diary, early):
    broken = sleep_kwargs(diary, rise_at=_moved(diary, "rise_at", "final_wake_at", -early))

    assert "rise_at" in errors_of(validate_sleep, **broken)


@PROPERTY
@given(diary=diaries(), extra=st.integers(1, 120))
def test_validate_sleep_rejects_latency_and_waking_longer_than_the_sleep_window(diary, extra):
    window = int(diary.real_minutes("lights_out_at", "final_wake_at"))
    broken = sleep_kwargs(
        diary, sleep_onset_latency_min=0, wake_after_sleep_onset_min=window + extra
    )

    assert "wake_after_sleep_onset_min" in errors_of(validate_sleep, **broken)


@PROPERTY
@given(diary=diaries(), days=st.integers(1, 3), later=st.booleans())
def test_validate_sleep_rejects_a_night_of_other_than_the_bedtimes(diary, days, later):
    wrong = diary.night_of + timedelta(days=days if later else -days)

    assert "night_of" in errors_of(validate_sleep, **sleep_kwargs(diary, night_of=wrong))


def test_a_night_of_other_than_the_bedtimes_names_the_bedtimes_night_in_words():
    errors = errors_of(validate_sleep, **_known_night(night_of=date(2026, 3, 2)))

    assert errors == {
        "night_of": ["This bedtime belongs to the night of Sunday 1 March in your time zone."]
    }


# Sleep: examples ------------------------------------------------------------------------


def _known_night(**overrides):
    return {
        "zone": BERLIN,
        "night_of": date(2026, 3, 1),
        **sleep_times(date(2026, 3, 1)),
        "sleep_onset_latency_min": 20,
        "wake_after_sleep_onset_min": 40,
        **overrides,
    }


def test_validate_sleep_accepts_the_known_night():
    validate_sleep(**_known_night())


def test_validate_sleep_rejects_more_than_16_hours_in_bed_and_says_how_the_times_were_read():
    # In bed 22:30 on Sunday 1 March; up 14:31 on Monday: 16 h 1 min.
    errors = errors_of(validate_sleep, **_known_night(rise_at=local(date(2026, 3, 2), 14, 31)))

    assert errors == {
        "rise_at": [
            "More than 16 hours in bed, from Sunday 22:30 to Monday 14:31: check the times."
        ]
    }


def test_validate_sleep_rejects_a_wake_time_typed_before_the_bedtime_read_as_the_next_evening():
    # Bed 23:00, lights out 23:10, awake 22:00, up 22:10: the wake and rise times fall on the
    # morning after, so this read as 22 h of sleep at 96% efficiency.
    night = date(2026, 3, 1)
    times = {
        "bedtime": local(night, 23, 0),
        "lights_out_at": local(night, 23, 10),
        "final_wake_at": local(night + timedelta(days=1), 22, 0),
        "rise_at": local(night + timedelta(days=1), 22, 10),
    }

    errors = errors_of(validate_sleep, **_known_night(**times))

    assert set(errors) == {"rise_at"}


@pytest.mark.parametrize("field", ["bedtime", "lights_out_at", "final_wake_at", "rise_at"])
def test_validate_sleep_rejects_a_naive_time(field):
    naive = _known_night()[field].replace(tzinfo=None)

    errors = errors_of(validate_sleep, **_known_night(**{field: naive}))

    assert field in errors


def test_validate_sleep_checks_the_sleep_window_across_the_autumn_clock_change():
    # Chicago falls back at 02:00 on 2025-11-02: lights out 00:30, final wake 06:30 is
    # 7 hours that passed, so 20 + 390 minutes of latency and waking fit.
    night = date(2025, 11, 1)
    kwargs = {
        "zone": CHICAGO,
        "night_of": night,
        "bedtime": local(night, 23, 30, CHICAGO),
        "lights_out_at": local(night + timedelta(days=1), 0, 30, CHICAGO),
        "final_wake_at": local(night + timedelta(days=1), 6, 30, CHICAGO),
        "rise_at": local(night + timedelta(days=1), 7, 0, CHICAGO),
        "sleep_onset_latency_min": 20,
        "wake_after_sleep_onset_min": 390,
    }

    validate_sleep(**kwargs)


# night_of -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_bedtime", "night_of"),
    [
        (datetime(2026, 3, 1, 22, 30), date(2026, 3, 1)),
        (datetime(2026, 3, 1, 23, 59), date(2026, 3, 1)),
        (datetime(2026, 3, 2, 0, 30), date(2026, 3, 1)),
        (datetime(2026, 3, 2, 4, 0), date(2026, 3, 1)),
        (datetime(2026, 3, 2, 11, 59), date(2026, 3, 1)),
        (datetime(2026, 3, 2, 12, 0), date(2026, 3, 2)),
        (datetime(2026, 3, 29, 1, 30), date(2026, 3, 28)),  # the DST night
        (datetime(2026, 3, 29, 3, 30), date(2026, 3, 28)),
    ],
)
def test_night_of_is_the_evening_before_for_a_bedtime_before_noon(local_bedtime, night_of):
    assert night_of_for(local_bedtime.replace(tzinfo=BERLIN), BERLIN) == night_of


def test_night_of_is_reckoned_in_the_given_zone_whatever_the_bedtimes_offset():
    # 00:30 Berlin on 03-02 is 23:30 UTC on 03-01 and 17:30 Chicago on 03-01.
    bedtime = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)

    assert night_of_for(bedtime, BERLIN) == date(2026, 3, 1)
    assert night_of_for(bedtime.astimezone(CHICAGO), BERLIN) == date(2026, 3, 1)
    assert night_of_for(bedtime, CHICAGO) == date(2026, 3, 1)
    assert night_of_for(datetime(2026, 3, 2, 11, 30, tzinfo=UTC), BERLIN) == date(2026, 3, 2)


@PROPERTY
@given(
    moment=st.datetimes(
        min_value=datetime(2001, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.just(UTC),
    ),
    zone=st.sampled_from(ZONES),
)
def test_night_of_is_the_local_date_from_noon_and_the_day_before_until_noon(moment, zone):
    wall = moment.astimezone(zone)
    expected = wall.date() if wall.hour >= 12 else wall.date() - timedelta(days=1)

    assert night_of_for(moment, zone) == expected


# Times ----------------------------------------------------------------------------------


def _moment_errors(value):
    errors = Errors()
    check_moment(errors, "at", value)
    return errors.by_field


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(NOW + timedelta(minutes=10, seconds=1), id="10m01s-ahead"),
        pytest.param(NOW + timedelta(minutes=11), id="11m-ahead"),
        pytest.param(NOW + timedelta(days=1), id="tomorrow"),
        pytest.param(NOW.replace(tzinfo=None) - timedelta(hours=1), id="naive"),
        pytest.param(datetime(1999, 12, 31, tzinfo=UTC), id="before-2000"),
    ],
)
def test_check_moment_rejects_times_in_the_future_naive_or_absurdly_old(value):
    assert "at" in _moment_errors(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(NOW + timedelta(minutes=9), id="9m-ahead"),
        pytest.param(NOW + timedelta(minutes=10), id="10m-ahead"),
        pytest.param(NOW, id="now"),
        pytest.param(NOW.astimezone(CHICAGO) - timedelta(days=400), id="last-year-chicago"),
        pytest.param(None, id="missing"),
    ],
)
def test_check_moment_accepts_times_up_to_10_minutes_ahead(value):
    assert _moment_errors(value) == {}


# Use ------------------------------------------------------------------------------------

# CLINICAL.md's table, written out independently of journals.choices.
KRATOM_UNITS_BY_FORM = {
    "powder": {"g"},
    "capsule": {"g"},
    "tea": {"g"},
    "extract": {"mg"},
    "seven_oh": {"mg"},
}
UNITS_BY_SUBSTANCE = {
    "alcohol": {"standard_drink"},
    "benzodiazepine": {"mg", "tablet"},
    "opioid": {"mg", "tablet"},
    "gabapentinoid": {"mg", "tablet"},
    "other_sedative": {"mg", "tablet"},
    "cannabis": {"mg", "g"},
    "other": {"g", "mg", "standard_drink", "tablet"},
}
COMBINATIONS = [(s, f) for s in Substance.values for f in Form.values]


@pytest.mark.parametrize(("form", "units"), KRATOM_UNITS_BY_FORM.items())
def test_kratom_units_follow_the_clinical_reference(form, units):
    assert set(allowed_units("kratom", form)) == units


@pytest.mark.parametrize(("substance", "units"), UNITS_BY_SUBSTANCE.items())
@pytest.mark.parametrize("form", Form.values)
def test_other_substances_units_follow_the_clinical_reference_whatever_the_form(
    substance, units, form
):
    assert set(allowed_units(substance, form)) == units


@pytest.mark.parametrize(("substance", "form"), COMBINATIONS)
def test_validate_use_accepts_exactly_the_allowed_units(substance, form):
    rejected_on: dict[str, set[str]] = {}
    for unit in Unit.values:
        try:
            validate_use(substance=substance, form=form, unit=unit, amount=Decimal(1), taken_at=NOW)
        except ValidationError as exc:
            rejected_on[unit] = set(exc.message_dict)
    accepted = set(Unit.values) - set(rejected_on)

    assert accepted == set(allowed_units(substance, form))
    assert all(fields == {"unit"} for fields in rejected_on.values())
    assert accepted, "every substance and form has some unit"


@PROPERTY
@given(
    substance=st.sampled_from(Substance.values),
    form=st.sampled_from(Form.values),
    unit=st.sampled_from(Unit.values),
)
def test_validate_use_rejects_a_unit_on_the_unit_field_exactly_when_not_allowed(
    substance, form, unit
):
    call = {"substance": substance, "form": form, "unit": unit, "amount": Decimal(1)}
    if unit in allowed_units(substance, form):
        validate_use(**call, taken_at=NOW)
    else:
        assert set(errors_of(validate_use, **call, taken_at=NOW)) == {"unit"}


@PROPERTY
@given(
    form=st.sampled_from(["powder", "capsule", "tea"]),
    amount=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(50), places=3),
)
def test_validate_use_accepts_a_kratom_leaf_dose_up_to_50_g(form, amount):
    validate_use(substance="kratom", form=form, unit="g", amount=amount, taken_at=NOW)


@PROPERTY
@given(
    form=st.sampled_from(["powder", "capsule", "tea"]),
    amount=st.decimals(min_value=Decimal("50.001"), max_value=Decimal(99999), places=3),
)
def test_validate_use_rejects_a_kratom_leaf_dose_over_50_g(form, amount):
    errors = errors_of(
        validate_use, substance="kratom", form=form, unit="g", amount=amount, taken_at=NOW
    )

    assert set(errors) == {"amount"}


@PROPERTY
@given(amount=st.decimals(min_value=Decimal("30.001"), max_value=Decimal(99999), places=3))
def test_validate_use_rejects_more_than_30_standard_drinks(amount):
    errors = errors_of(
        validate_use,
        substance="alcohol",
        form="liquid",
        unit="standard_drink",
        amount=amount,
        taken_at=NOW,
    )

    assert set(errors) == {"amount"}


@PROPERTY
@given(amount=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(30), places=3))
def test_validate_use_accepts_up_to_30_standard_drinks(amount):
    validate_use(
        substance="alcohol", form="liquid", unit="standard_drink", amount=amount, taken_at=NOW
    )


def test_validate_use_rejects_a_time_in_the_future():
    errors = errors_of(
        validate_use,
        substance="kratom",
        form="powder",
        unit="g",
        amount=Decimal(2),
        taken_at=NOW + timedelta(minutes=11),
    )

    assert set(errors) == {"taken_at"}


@pytest.mark.parametrize(
    ("substance", "form", "unit", "message"),
    [
        ("kratom", "seven_oh", "g", "For kratom taken as 7-OH product, give the amount in mg."),
        ("kratom", "powder", "mg", "For kratom taken as powder, give the amount in g."),
        # The check-in fills in "liquid" for alcohol: it does not decide the unit, so unsaid.
        ("alcohol", "liquid", "tablet", "For alcohol, give the amount in standard drinks."),
        ("opioid", "tablet", "g", "For opioid, give the amount in mg or tablets."),
        ("other_sedative", "other", "g", "For other sedative, give the amount in mg or tablets."),
    ],
)
def test_a_unit_that_does_not_fit_is_explained_in_the_choices_own_words(
    substance, form, unit, message
):
    errors = errors_of(
        validate_use, substance=substance, form=form, unit=unit, amount=Decimal(1), taken_at=NOW
    )

    assert errors == {"unit": [message]}


@pytest.mark.parametrize(
    ("substance", "unit", "amount", "message"),
    [
        ("benzodiazepine", "tablet", "51", "More than 50 tablets looks like a typo."),
        ("opioid", "mg", "10001", "More than 10,000 mg looks like a typo."),
        ("cannabis", "g", "1001", "More than 1,000 g looks like a typo."),
    ],
)
def test_an_implausible_amount_names_its_limit_with_the_units_name(
    substance, unit, amount, message
):
    errors = errors_of(
        validate_use,
        substance=substance,
        form="other",
        unit=unit,
        amount=Decimal(amount),
        taken_at=NOW,
    )

    assert errors == {"amount": [message]}


@pytest.mark.parametrize("form", ["powder", "tablet", "other"])
def test_a_kratom_dose_over_50_g_is_refused_without_calling_every_form_leaf(form):
    errors = errors_of(
        validate_use, substance="kratom", form=form, unit="g", amount=Decimal(500), taken_at=NOW
    )

    assert errors == {"amount": ["More than 50 g of kratom in one dose looks like a typo."]}
