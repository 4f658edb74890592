"""Every rejection of issue 2 §3 answers 400 with the error on the right field, and stores
nothing. Each rule is paired with its edge that must still be accepted."""

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import client_for
from tests.journals.helpers import (
    CHICAGO,
    KINDS,
    NOW,
    count,
    local,
    own_url,
    pain_body,
    peg_body,
    sleep_body,
    use_body,
    valid_body,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

TIMED_FIELDS = {
    "pain-entries": ["recorded_at"],
    "peg-assessments": ["recorded_at"],
    "use-entries": ["taken_at"],
    "sleep-entries": ["bedtime", "lights_out_at", "final_wake_at", "rise_at"],
}


def assert_rejected(user: Any, kind: str, body: dict[str, Any], field: str) -> dict[str, Any]:
    before = count(kind)

    response = client_for(user).post(own_url(kind), body)

    assert response.status_code == 400, response.json()
    errors: dict[str, Any] = response.json()
    assert field in errors, errors
    assert count(kind) == before
    return errors


def assert_accepted(user: Any, kind: str, body: dict[str, Any]) -> None:
    response = client_for(user).post(own_url(kind), body)

    assert response.status_code == 201, response.json()


# Scores ---------------------------------------------------------------------------------

SCORE_FIELDS = [
    ("pain-entries", "intensity", 0, 10),
    ("peg-assessments", "pain_average", 0, 10),
    ("peg-assessments", "enjoyment_interference", 0, 10),
    ("peg-assessments", "activity_interference", 0, 10),
    ("sleep-entries", "quality", 1, 5),
]


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        pytest.param(kind, field, value, id=f"{field}={value}")
        for kind, field, low, high in SCORE_FIELDS
        for value in (low - 1, high + 1)
    ],
)
def test_score_out_of_range_is_rejected_on_its_field(alice, kind, field, value):
    assert_rejected(alice, kind, valid_body(kind, **{field: value}), field)


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        pytest.param(kind, field, value, id=f"{field}={value}")
        for kind, field, low, high in SCORE_FIELDS
        for value in (low, high)
    ],
)
def test_score_at_the_ends_of_its_range_is_accepted(alice, kind, field, value):
    assert_accepted(alice, kind, valid_body(kind, **{field: value}))


@pytest.mark.parametrize("value", [5.5, "five", None])
def test_pain_intensity_that_is_not_a_whole_number_is_rejected(alice, value):
    assert_rejected(alice, "pain-entries", pain_body(intensity=value), "intensity")


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_body_names_each_required_field(alice, kind):
    required = {
        "pain-entries": {"recorded_at", "intensity"},
        "peg-assessments": {
            "recorded_at",
            "pain_average",
            "enjoyment_interference",
            "activity_interference",
        },
        "sleep-entries": {
            "night_of",
            "bedtime",
            "lights_out_at",
            "sleep_onset_latency_min",
            "awakenings",
            "wake_after_sleep_onset_min",
            "final_wake_at",
            "rise_at",
            "quality",
        },
        "use-entries": {"taken_at", "substance", "amount", "unit", "form"},
    }[kind]

    errors = assert_rejected(alice, kind, {}, next(iter(required)))

    assert set(errors) == required


# Amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "0.000", "-1", "-0.5"])
def test_amount_of_zero_or_less_is_rejected(alice, amount):
    assert_rejected(alice, "use-entries", use_body(amount=amount), "amount")


@pytest.mark.parametrize("form", ["powder", "capsule", "tea"])
@pytest.mark.parametrize("amount", ["50.001", "51", "500"])
def test_kratom_leaf_dose_over_50_g_is_rejected(alice, form, amount):
    errors = assert_rejected(alice, "use-entries", use_body(form=form, amount=amount), "amount")

    assert "50" in errors["amount"][0]


@pytest.mark.parametrize("form", ["powder", "capsule", "tea"])
def test_kratom_leaf_dose_of_exactly_50_g_is_accepted(alice, form):
    assert_accepted(alice, "use-entries", use_body(form=form, amount="50"))


@pytest.mark.parametrize("amount", ["30.5", "31", "100"])
def test_more_than_30_standard_drinks_is_rejected(alice, amount):
    body = use_body(substance="alcohol", form="liquid", unit="standard_drink", amount=amount)

    errors = assert_rejected(alice, "use-entries", body, "amount")

    assert "30" in errors["amount"][0]


def test_30_standard_drinks_are_accepted(alice):
    body = use_body(substance="alcohol", form="liquid", unit="standard_drink", amount="30")

    assert_accepted(alice, "use-entries", body)


def test_a_kratom_tablet_dose_over_50_g_is_refused_as_kratom_not_as_leaf(alice):
    errors = assert_rejected(alice, "use-entries", use_body(form="tablet", amount="500"), "amount")

    assert errors["amount"] == ["More than 50 g of kratom in one dose looks like a typo."]


def test_more_than_50_tablets_are_refused_in_words(alice):
    body = use_body(substance="benzodiazepine", form="tablet", unit="tablet", amount="51")

    errors = assert_rejected(alice, "use-entries", body, "amount")

    assert errors["amount"] == ["More than 50 tablets looks like a typo."]


def test_a_kratom_extract_dose_in_mg_is_not_held_to_the_leaf_gram_limit(alice):
    body = use_body(form="extract", unit="mg", amount="75")

    assert_accepted(alice, "use-entries", body)


# Units ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("substance", "form", "unit"),
    [
        ("kratom", "powder", "mg"),
        ("kratom", "capsule", "tablet"),
        ("kratom", "tea", "standard_drink"),
        ("kratom", "extract", "g"),
        ("kratom", "seven_oh", "g"),
        ("kratom", "seven_oh", "tablet"),
        ("alcohol", "liquid", "mg"),
        ("alcohol", "liquid", "g"),
        ("benzodiazepine", "tablet", "g"),
        ("benzodiazepine", "tablet", "standard_drink"),
        ("opioid", "tablet", "g"),
        ("gabapentinoid", "capsule", "g"),
        ("other_sedative", "tablet", "standard_drink"),
        ("cannabis", "other", "tablet"),
    ],
)
def test_unit_that_does_not_fit_the_substance_and_form_is_rejected(alice, substance, form, unit):
    body = use_body(substance=substance, form=form, unit=unit, amount="1")

    assert_rejected(alice, "use-entries", body, "unit")


@pytest.mark.parametrize(
    ("substance", "form", "unit", "message"),
    [
        ("kratom", "seven_oh", "g", "For kratom taken as 7-OH product, give the amount in mg."),
        ("alcohol", "liquid", "mg", "For alcohol, give the amount in standard drinks."),
    ],
)
def test_a_unit_that_does_not_fit_is_explained_with_labels_not_codes(
    alice, substance, form, unit, message
):
    body = use_body(substance=substance, form=form, unit=unit, amount="1")

    errors = assert_rejected(alice, "use-entries", body, "unit")

    assert errors["unit"] == [message]


@pytest.mark.parametrize(
    ("substance", "form", "unit"),
    [
        ("kratom", "powder", "g"),
        ("kratom", "extract", "mg"),
        ("kratom", "seven_oh", "mg"),
        ("alcohol", "liquid", "standard_drink"),
        ("benzodiazepine", "tablet", "mg"),
        ("benzodiazepine", "tablet", "tablet"),
        ("opioid", "liquid", "mg"),
        ("gabapentinoid", "capsule", "mg"),
        ("other_sedative", "tablet", "tablet"),
        ("cannabis", "other", "g"),
        ("cannabis", "extract", "mg"),
        ("other", "other", "standard_drink"),
    ],
)
def test_unit_that_fits_the_substance_and_form_is_accepted(alice, substance, form, unit):
    assert_accepted(
        alice, "use-entries", use_body(substance=substance, form=form, unit=unit, amount="1")
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("substance", "coffee"), ("form", "gummy"), ("unit", "oz"), ("mixed_with", "soda")],
)
def test_a_value_outside_a_vocabulary_is_rejected(alice, field, value):
    assert_rejected(alice, "use-entries", use_body(**{field: value}), field)


# Sleep diary ----------------------------------------------------------------------------

NIGHT = date(2026, 3, 1)
MORNING = NIGHT + timedelta(days=1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(
            {"lights_out_at": local(NIGHT, 22, 25)}, "lights_out_at", id="lights-out-before-bed"
        ),
        pytest.param(
            {"final_wake_at": local(NIGHT, 22, 50)},
            "final_wake_at",
            id="final-wake-before-lights-out",
        ),
        pytest.param(
            {"final_wake_at": local(NIGHT, 23, 0)},
            "final_wake_at",
            id="final-wake-at-lights-out",
        ),
        pytest.param({"rise_at": local(MORNING, 6, 25)}, "rise_at", id="rise-before-final-wake"),
    ],
)
def test_sleep_times_out_of_order_are_rejected_on_the_field_out_of_place(alice, change, field):
    body = sleep_body(NIGHT, **{k: v.isoformat() for k, v in change.items()})

    assert_rejected(alice, "sleep-entries", body, field)


def test_sleep_times_may_touch_where_the_order_allows_it(alice):
    # bedtime = lights out, and final wake = rise, are both allowed.
    body = sleep_body(
        NIGHT,
        lights_out_at=local(NIGHT, 22, 30).isoformat(),
        rise_at=local(MORNING, 6, 30).isoformat(),
    )

    assert_accepted(alice, "sleep-entries", body)


def test_time_in_bed_over_16_hours_is_rejected(alice):
    body = sleep_body(NIGHT, rise_at=local(MORNING, 14, 31).isoformat())

    assert_rejected(alice, "sleep-entries", body, "rise_at")


def test_a_wake_time_before_the_bedtime_read_as_the_next_evening_is_rejected(alice):
    # Bed 23:00, lights out 23:10, awake 22:00 and up 22:10 the day after: 23 h 10 min.
    body = sleep_body(
        NIGHT,
        bedtime=local(NIGHT, 23, 0).isoformat(),
        lights_out_at=local(NIGHT, 23, 10).isoformat(),
        final_wake_at=local(MORNING, 22, 0).isoformat(),
        rise_at=local(MORNING, 22, 10).isoformat(),
    )

    errors = assert_rejected(alice, "sleep-entries", body, "rise_at")

    assert errors == {
        "rise_at": [
            "More than 16 hours in bed, from Sunday 23:00 to Monday 22:10: check the times."
        ]
    }


def test_night_of_that_does_not_match_the_bedtime_is_rejected(alice):
    body = {**sleep_body(NIGHT), "night_of": "2026-03-02"}

    errors = assert_rejected(alice, "sleep-entries", body, "night_of")

    assert errors["night_of"] == [
        "This bedtime belongs to the night of Sunday 1 March in your time zone."
    ]


def _after_midnight(night_of: str) -> dict[str, Any]:
    # Into bed at 00:30 Berlin time on 2026-03-02 (23:30 UTC on 03-01), up at 08:00.
    body = sleep_body(
        NIGHT,
        bedtime=local(MORNING, 0, 30).isoformat(),
        lights_out_at=local(MORNING, 0, 45).isoformat(),
        final_wake_at=local(MORNING, 7, 30).isoformat(),
        rise_at=local(MORNING, 8, 0).isoformat(),
    )
    return {**body, "night_of": night_of}


def test_a_bedtime_after_midnight_belongs_to_the_previous_evenings_night(alice):
    assert_accepted(alice, "sleep-entries", _after_midnight("2026-03-01"))


def test_a_bedtime_after_midnight_dated_with_its_calendar_day_is_rejected(alice):
    assert_rejected(alice, "sleep-entries", _after_midnight("2026-03-02"), "night_of")


def _day_sleep(night_of: str) -> dict[str, Any]:
    # A night-shift sleep: into bed 12:30 Berlin (11:30 UTC) on 03-02. In Berlin, 12 h
    # earlier is 00:30 on 03-02; in UTC it would be 23:30 on 03-01.
    body = sleep_body(
        NIGHT,
        bedtime="2026-03-02T11:30:00Z",
        lights_out_at="2026-03-02T11:45:00Z",
        final_wake_at="2026-03-02T18:00:00Z",
        rise_at="2026-03-02T18:15:00Z",
    )
    return {**body, "night_of": night_of}


def test_night_of_is_reckoned_in_the_patients_zone(alice):
    assert_accepted(alice, "sleep-entries", _day_sleep("2026-03-02"))


def test_night_of_reckoned_in_utc_instead_of_the_patients_zone_is_rejected(alice):
    assert_rejected(alice, "sleep-entries", _day_sleep("2026-03-01"), "night_of")


def test_night_of_follows_each_patients_own_zone(erin):
    # 22:30 in Chicago on 03-01 is 04:30 UTC on 03-02.
    assert_accepted(erin, "sleep-entries", sleep_body(NIGHT, zone=CHICAGO))


def test_onset_latency_plus_wake_after_onset_longer_than_the_night_is_rejected(alice):
    # Lights out 23:00 to final wake 06:30 is 450 minutes.
    body = sleep_body(NIGHT, sleep_onset_latency_min=200, wake_after_sleep_onset_min=251)

    assert_rejected(alice, "sleep-entries", body, "wake_after_sleep_onset_min")


def test_onset_latency_plus_wake_after_onset_filling_the_whole_night_is_accepted(alice):
    body = sleep_body(NIGHT, sleep_onset_latency_min=200, wake_after_sleep_onset_min=250)

    response = client_for(alice).post(own_url("sleep-entries"), body)

    assert response.status_code == 201
    assert response.json()["total_sleep_min"] == 0
    assert response.json()["sleep_efficiency_pct"] == 0.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sleep_onset_latency_min", -1),
        ("wake_after_sleep_onset_min", -1),
        ("awakenings", -1),
        ("awakenings", 100),
        ("sleep_onset_latency_min", 1441),
    ],
)
def test_sleep_counts_out_of_range_are_rejected(alice, field, value):
    assert_rejected(alice, "sleep-entries", sleep_body(NIGHT, **{field: value}), field)


def test_a_second_sleep_entry_for_the_same_night_is_rejected_on_night_of(alice):
    assert_accepted(alice, "sleep-entries", sleep_body(NIGHT))
    # Another diary for the same evening, with other times and its own id.
    second = sleep_body(
        NIGHT,
        id=str(uuid.uuid4()),
        bedtime=local(NIGHT, 23, 15).isoformat(),
        lights_out_at=local(NIGHT, 23, 20).isoformat(),
    )

    errors = assert_rejected(alice, "sleep-entries", second, "night_of")

    assert errors == {
        "night_of": [
            "There is already a sleep diary for the night of Sunday 1 March: "
            "change that diary instead of adding another."
        ]
    }


def test_two_patients_may_each_log_the_same_night(alice, erin):
    assert_accepted(alice, "sleep-entries", sleep_body(NIGHT))
    assert_accepted(erin, "sleep-entries", sleep_body(NIGHT, zone=CHICAGO))


# Time -----------------------------------------------------------------------------------


def _future_body(kind: str, ahead: timedelta) -> tuple[dict[str, Any], str]:
    """A body whose latest time lies ``ahead`` of now, and that time's field."""
    when = (NOW + ahead).isoformat()
    if kind == "sleep-entries":
        # The night of 04-01 in Berlin, getting up just after now (14:00 local).
        return sleep_body(date(2026, 4, 1), rise_at=when), "rise_at"
    field = TIMED_FIELDS[kind][0]
    return valid_body(kind, **{field: when}), field


@pytest.mark.parametrize("kind", KINDS)
def test_a_time_more_than_10_minutes_in_the_future_is_rejected(alice, kind):
    body, field = _future_body(kind, timedelta(minutes=11))

    assert_rejected(alice, kind, body, field)


@pytest.mark.parametrize("kind", KINDS)
def test_a_time_9_minutes_in_the_future_is_accepted_as_clock_skew(alice, kind):
    body, _ = _future_body(kind, timedelta(minutes=9))

    assert_accepted(alice, kind, body)


@pytest.mark.parametrize(
    ("kind", "field"),
    [(kind, field) for kind, fields in TIMED_FIELDS.items() for field in fields],
)
def test_a_datetime_without_utc_offset_is_rejected(alice, kind, field):
    body = valid_body(kind)
    body[field] = datetime.fromisoformat(body[field]).replace(tzinfo=None).isoformat()

    assert_rejected(alice, kind, body, field)


@pytest.mark.parametrize("kind", ["pain-entries", "peg-assessments", "use-entries"])
def test_a_bare_date_is_rejected_where_a_time_is_asked_for(alice, kind):
    field = TIMED_FIELDS[kind][0]

    assert_rejected(alice, kind, valid_body(kind, **{field: "2026-04-01"}), field)


# Notes and locations --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_note_over_2000_characters_is_rejected(alice, kind):
    assert_rejected(alice, kind, valid_body(kind, note="x" * 2001), "note")


@pytest.mark.parametrize("kind", KINDS)
def test_a_note_of_2000_characters_is_accepted(alice, kind):
    assert_accepted(alice, kind, valid_body(kind, note="é" * 2000))


@pytest.mark.parametrize("locations", [["lower_back", "tail"], ["Lower_Back"], "lower_back"])
def test_an_unknown_pain_location_is_rejected(alice, locations):
    assert_rejected(alice, "pain-entries", pain_body(locations=locations), "locations")


def test_a_pain_location_named_twice_is_rejected(alice):
    body = pain_body(locations=["knees", "knees"])

    assert_rejected(alice, "pain-entries", body, "locations")


def test_every_listed_pain_location_is_accepted(alice):
    every = [
        "head",
        "neck",
        "shoulders",
        "upper_back",
        "lower_back",
        "chest",
        "abdomen",
        "hips",
        "arms",
        "hands",
        "legs",
        "knees",
        "feet",
        "widespread",
        "other",
    ]

    assert_accepted(alice, "pain-entries", pain_body(locations=every))


def test_peg_score_cannot_be_written_by_the_client(alice):
    response = client_for(alice).post(own_url("peg-assessments"), peg_body(score="9.9"))

    assert response.status_code == 201
    assert response.json()["score"] == 5.3
