"""Contract of a patient's own journal endpoints: create, list, retrieve, PATCH, delete,
and the idempotent create with a client-chosen id (issue 2, sections 3 and 4)."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from journals.models import PainEntry, PegAssessment, SleepEntry, UseEntry
from tests.conftest import client_for
from tests.journals.helpers import (
    KINDS,
    MODELS,
    NOW,
    count,
    ids,
    local,
    make_entry,
    own_url,
    pain_body,
    parse_dt,
    peg_body,
    sleep_body,
    use_body,
    valid_body,
)

pytestmark = pytest.mark.usefixtures("frozen_now")


# Create ---------------------------------------------------------------------------------


def test_creating_a_pain_entry_answers_201_with_the_stored_entry(alice):
    response = client_for(alice).post(own_url("pain-entries"), pain_body())

    assert response.status_code == 201
    body = response.json()
    entry = PainEntry.objects.get()
    assert body["id"] == str(entry.id)
    assert body["patient"] == str(alice.id)
    assert parse_dt(body["recorded_at"]) == local(date(2026, 4, 1), 20, 0)
    assert body["intensity"] == 6
    assert body["locations"] == ["lower_back", "knees"]
    assert body["note"] == "Worse after gardening."
    assert (entry.patient, entry.intensity, entry.locations) == (alice, 6, ["lower_back", "knees"])


@pytest.mark.parametrize(
    ("items", "score"),
    [
        ((6, 5, 4), 5.0),
        ((7, 5, 4), 5.3),
        ((8, 8, 7), 7.7),
        ((0, 0, 1), 0.3),
        ((0, 0, 0), 0.0),
        ((10, 10, 10), 10.0),
    ],
)
def test_creating_a_peg_assessment_returns_the_mean_of_its_items_to_one_decimal(
    alice, items, score
):
    pain_average, enjoyment, activity = items
    response = client_for(alice).post(
        own_url("peg-assessments"),
        peg_body(
            pain_average=pain_average,
            enjoyment_interference=enjoyment,
            activity_interference=activity,
        ),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["score"] == score
    assert (
        body["pain_average"],
        body["enjoyment_interference"],
        body["activity_interference"],
    ) == items
    assert PegAssessment.objects.get().patient == alice


def test_creating_a_sleep_entry_returns_the_nights_derived_metrics(alice):
    # In bed 22:30, lights out 23:00, final wake 06:30, up 07:00, SOL 20, WASO 40:
    # TIB 510 min, TST 450 − 20 − 40 = 390 min, SE 100 × 390 / 510 = 76.47… → 76.5 %.
    response = client_for(alice).post(own_url("sleep-entries"), sleep_body(date(2026, 3, 1)))

    assert response.status_code == 201
    body = response.json()
    assert body["night_of"] == "2026-03-01"
    assert parse_dt(body["bedtime"]) == local(date(2026, 3, 1), 22, 30)
    assert parse_dt(body["rise_at"]) == local(date(2026, 3, 2), 7, 0)
    assert body["sleep_onset_latency_min"] == 20
    assert body["awakenings"] == 2
    assert body["wake_after_sleep_onset_min"] == 40
    assert body["quality"] == 3
    assert body["time_in_bed_min"] == 510
    assert body["total_sleep_min"] == 390
    assert body["sleep_efficiency_pct"] == 76.5
    assert SleepEntry.objects.get().patient == alice


def test_sleep_efficiency_is_rounded_half_up_to_one_decimal(alice):
    # TIB 400 min, TST 400 − 21 − 30 = 349 min: SE = 87.25 %, which half up is 87.3
    # (half to even would give 87.2).
    night = date(2026, 3, 1)
    body = sleep_body(
        night,
        bedtime=local(night, 23, 0).isoformat(),
        lights_out_at=local(night, 23, 0).isoformat(),
        final_wake_at=local(night + timedelta(days=1), 5, 40).isoformat(),
        rise_at=local(night + timedelta(days=1), 5, 40).isoformat(),
        sleep_onset_latency_min=21,
        wake_after_sleep_onset_min=30,
    )

    response = client_for(alice).post(own_url("sleep-entries"), body)

    assert response.status_code == 201
    assert response.json()["time_in_bed_min"] == 400
    assert response.json()["total_sleep_min"] == 349
    assert response.json()["sleep_efficiency_pct"] == 87.3


def test_sleep_metrics_of_a_night_across_the_dst_change_count_real_minutes(alice):
    # Berlin springs forward at 02:00 on 2026-03-29: 22:30 → 07:00 is 7½ real hours, not 8½.
    night = date(2026, 3, 28)
    body = sleep_body(night, sleep_onset_latency_min=0, wake_after_sleep_onset_min=0)

    response = client_for(alice).post(own_url("sleep-entries"), body)

    assert response.status_code == 201
    assert response.json()["time_in_bed_min"] == 450
    assert response.json()["total_sleep_min"] == 390


def test_creating_a_use_entry_answers_201_with_the_stored_entry(alice):
    response = client_for(alice).post(own_url("use-entries"), use_body())

    assert response.status_code == 201
    body = response.json()
    entry = UseEntry.objects.get()
    assert body["id"] == str(entry.id)
    assert parse_dt(body["taken_at"]) == local(date(2026, 4, 1), 21, 0)
    assert Decimal(str(body["amount"])) == Decimal("3.5")
    assert (body["substance"], body["form"], body["unit"]) == ("kratom", "powder", "g")
    assert (body["mixed_with"], body["reason"], body["product"]) == (
        "warm_water",
        "pain",
        "Red Bali",
    )
    assert (entry.patient, entry.amount) == (alice, Decimal("3.5"))


@pytest.mark.parametrize("kind", KINDS)
def test_created_entry_belongs_to_the_caller_whatever_patient_the_body_names(alice, erin, kind):
    response = client_for(alice).post(own_url(kind), valid_body(kind, patient=str(erin.id)))

    assert response.status_code == 201
    assert response.json()["patient"] == str(alice.id)
    assert MODELS[kind]._default_manager.get().patient_id == alice.id


@pytest.mark.parametrize("kind", KINDS)
def test_optional_fields_may_be_left_out(alice, kind):
    optional = {"note", "locations", "mixed_with", "product", "reason"}
    body = {k: v for k, v in valid_body(kind).items() if k not in optional}

    response = client_for(alice).post(own_url(kind), body)

    assert response.status_code == 201, response.json()
    assert response.json()["note"] == ""


# List -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_list_is_paginated_newest_first(alice, kind):
    first = make_entry(kind, alice, date(2026, 3, 1))
    third = make_entry(kind, alice, date(2026, 3, 3))
    second = make_entry(kind, alice, date(2026, 3, 2))
    client = client_for(alice)

    page_one = client.get(own_url(kind), {"page_size": 2})

    assert page_one.status_code == 200
    assert set(page_one.json()) == {"count", "next", "previous", "results"}
    assert page_one.json()["count"] == 3
    assert page_one.json()["previous"] is None
    assert ids(page_one) == [str(third.id), str(second.id)]
    page_two = client.get(page_one.json()["next"])
    assert ids(page_two) == [str(first.id)]
    assert page_two.json()["next"] is None
    assert page_two.json()["previous"] is not None


@pytest.mark.parametrize("kind", KINDS)
def test_list_of_a_patient_with_no_entries_is_empty(alice, kind):
    response = client_for(alice).get(own_url(kind))

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_entries_in_the_same_minute_are_listed_newest_first_by_time_not_insertion(alice):
    later = make_entry("pain-entries", alice, date(2026, 3, 1), 20, 31)
    earlier = make_entry("pain-entries", alice, date(2026, 3, 1), 20, 30)

    response = client_for(alice).get(own_url("pain-entries"))

    assert ids(response) == [str(later.id), str(earlier.id)]


# Retrieve -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_retrieve_returns_the_entry_as_created(alice, kind):
    client = client_for(alice)
    created = client.post(own_url(kind), valid_body(kind)).json()

    response = client.get(own_url(kind, created["id"]))

    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize("kind", KINDS)
def test_retrieve_of_an_unknown_id_is_404(alice, kind):
    response = client_for(alice).get(own_url(kind, uuid.uuid4()))

    assert response.status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_retrieve_of_a_malformed_id_is_404(alice, kind):
    response = client_for(alice).get(own_url(kind, "not-a-uuid"))

    assert response.status_code == 404


# PATCH ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        ("pain-entries", {"intensity": 3}, {"intensity": 3}),
        ("pain-entries", {"locations": ["head"]}, {"locations": ["head"]}),
        ("peg-assessments", {"pain_average": 10}, {"pain_average": 10, "score": 6.3}),
        ("sleep-entries", {"quality": 5}, {"quality": 5}),
        ("use-entries", {"amount": "2"}, {"amount": 2}),
        ("use-entries", {"note": "after dinner"}, {"note": "after dinner"}),
    ],
)
def test_patch_changes_the_given_field(alice, kind, change, expected):
    client = client_for(alice)
    created = client.post(own_url(kind), valid_body(kind)).json()

    response = client.patch(own_url(kind, created["id"]), change)

    assert response.status_code == 200
    assert {k: response.json()[k] for k in expected} == expected
    stored = client.get(own_url(kind, created["id"])).json()
    assert {k: stored[k] for k in expected} == expected
    untouched = set(created) - set(expected) - {"updated_at"}
    assert {k: stored[k] for k in untouched} == {k: created[k] for k in untouched}


def test_patch_of_a_sleep_time_recomputes_the_derived_metrics(alice):
    client = client_for(alice)
    created = client.post(own_url("sleep-entries"), sleep_body(date(2026, 3, 1))).json()

    response = client.patch(
        own_url("sleep-entries", created["id"]),
        {"rise_at": local(date(2026, 3, 2), 7, 30).isoformat()},
    )

    assert response.status_code == 200
    # TIB 540, TST 390: SE 72.2 %.
    assert response.json()["time_in_bed_min"] == 540
    assert response.json()["total_sleep_min"] == 390
    assert response.json()["sleep_efficiency_pct"] == 72.2


def test_patch_moving_a_night_to_a_new_evening_is_accepted_when_every_time_moves(alice):
    client = client_for(alice)
    created = client.post(own_url("sleep-entries"), sleep_body(date(2026, 3, 1))).json()
    moved = sleep_body(date(2026, 3, 5))
    del moved["note"]

    response = client.patch(own_url("sleep-entries", created["id"]), moved)

    assert response.status_code == 200
    assert SleepEntry.objects.get().night_of == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("pain-entries", {"intensity": 11}, "intensity"),
        ("pain-entries", {"locations": ["tail"]}, "locations"),
        ("pain-entries", {"recorded_at": "2026-04-02T12:11:00Z"}, "recorded_at"),
        ("peg-assessments", {"activity_interference": -1}, "activity_interference"),
        ("sleep-entries", {"night_of": "2026-03-02"}, "night_of"),
        (
            "sleep-entries",
            {"lights_out_at": local(date(2026, 3, 1), 22, 0).isoformat()},
            "lights_out_at",
        ),
        ("sleep-entries", {"rise_at": local(date(2026, 3, 2), 6, 0).isoformat()}, "rise_at"),
        ("sleep-entries", {"sleep_onset_latency_min": 420}, "wake_after_sleep_onset_min"),
        ("sleep-entries", {"quality": 0}, "quality"),
        ("use-entries", {"unit": "mg"}, "unit"),
        ("use-entries", {"form": "seven_oh"}, "unit"),
        ("use-entries", {"amount": "60"}, "amount"),
        ("use-entries", {"amount": "0"}, "amount"),
        ("use-entries", {"note": "x" * 2001}, "note"),
    ],
)
def test_patch_that_breaks_a_rule_is_400_and_leaves_the_row_unchanged(alice, kind, change, field):
    client = client_for(alice)
    created = client.post(own_url(kind), valid_body(kind)).json()
    model = MODELS[kind]
    before = model._default_manager.values().get(pk=created["id"])

    response = client.patch(own_url(kind, created["id"]), change)

    assert response.status_code == 400
    assert field in response.json()
    assert model._default_manager.values().get(pk=created["id"]) == before


def test_patch_onto_a_night_already_logged_is_400_on_night_of(alice):
    client = client_for(alice)
    client.post(own_url("sleep-entries"), sleep_body(date(2026, 3, 1)))
    other = client.post(own_url("sleep-entries"), sleep_body(date(2026, 3, 2))).json()
    moved = sleep_body(date(2026, 3, 1))
    del moved["note"]

    response = client.patch(own_url("sleep-entries", other["id"]), moved)

    assert response.status_code == 400
    assert "night_of" in response.json()
    assert SleepEntry.objects.get(pk=other["id"]).night_of == date(2026, 3, 2)


@pytest.mark.parametrize("kind", KINDS)
def test_patch_cannot_change_an_entrys_id(alice, kind):
    client = client_for(alice)
    created = client.post(own_url(kind), valid_body(kind)).json()

    response = client.patch(own_url(kind, created["id"]), {"id": str(uuid.uuid4())})

    assert response.status_code == 400
    assert "id" in response.json()
    assert list(MODELS[kind]._default_manager.values_list("id", flat=True)) == [
        uuid.UUID(created["id"])
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_put_is_not_allowed(alice, kind):
    client = client_for(alice)
    created = client.post(own_url(kind), valid_body(kind)).json()

    response = client.put(own_url(kind, created["id"]), valid_body(kind))

    assert response.status_code == 405


# Delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_delete_answers_204_and_the_entry_is_gone(alice, kind):
    client = client_for(alice)
    created = client.post(own_url(kind), valid_body(kind)).json()

    response = client.delete(own_url(kind, created["id"]))

    assert response.status_code == 204
    assert client.get(own_url(kind, created["id"])).status_code == 404
    assert count(kind) == 0


def test_a_deleted_night_may_be_logged_again(alice):
    client = client_for(alice)
    created = client.post(own_url("sleep-entries"), sleep_body(date(2026, 3, 1))).json()
    client.delete(own_url("sleep-entries", created["id"]))

    response = client.post(own_url("sleep-entries"), sleep_body(date(2026, 3, 1)))

    assert response.status_code == 201


# Idempotent create ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_repeating_a_create_with_the_same_id_answers_200_with_the_stored_entry(alice, kind):
    client = client_for(alice)
    entry_id = str(uuid.uuid4())
    body = valid_body(kind, id=entry_id)

    first = client.post(own_url(kind), body)
    second = client.post(own_url(kind), body)

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == entry_id
    assert second.json() == first.json()
    assert count(kind) == 1


def test_a_repeat_with_the_same_id_keeps_the_stored_values_and_changes_nothing(alice):
    client = client_for(alice)
    entry_id = str(uuid.uuid4())
    client.post(own_url("pain-entries"), pain_body(id=entry_id, intensity=6))
    before = PainEntry.objects.values().get()

    response = client.post(own_url("pain-entries"), pain_body(id=entry_id, intensity=2))

    assert response.status_code == 200
    assert response.json()["intensity"] == 6
    assert PainEntry.objects.values().get() == before


def test_a_repeated_sleep_diary_with_its_id_is_not_taken_for_a_second_night(alice):
    client = client_for(alice)
    body = sleep_body(date(2026, 3, 1), id=str(uuid.uuid4()))
    client.post(own_url("sleep-entries"), body)

    response = client.post(own_url("sleep-entries"), body)

    assert response.status_code == 200
    assert SleepEntry.objects.count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_an_id_taken_by_another_patient_answers_409_and_reveals_nothing(alice, erin, kind):
    entry_id = str(uuid.uuid4())
    secret = "Erin's private note"
    erins = client_for(erin).post(
        own_url(kind), valid_body(kind, id=entry_id, note=secret, **_erin_values(kind))
    )
    assert erins.status_code == 201
    erins_row = MODELS[kind]._default_manager.values().get()

    response = client_for(alice).post(own_url(kind), valid_body(kind, id=entry_id))

    assert response.status_code == 409
    assert set(response.json()) == {"id"}
    content = response.content.decode()
    assert secret not in content
    assert str(erin.id) not in content
    for value in _erin_values(kind).values():
        assert str(value) not in content
    assert count(kind) == 1
    assert MODELS[kind]._default_manager.values().get() == erins_row


def _erin_values(kind: str) -> dict[str, object]:
    """Distinctive values for erin's entry, which must not show up in a 409."""
    return {
        "pain-entries": {"intensity": 9, "locations": ["widespread"]},
        "peg-assessments": {"pain_average": 9, "enjoyment_interference": 8},
        "sleep-entries": {"sleep_onset_latency_min": 47, "quality": 1},
        "use-entries": {"amount": "4.75", "product": "Maeng Da Gold"},
    }[kind]


def test_the_same_id_may_name_entries_of_different_kinds(alice):
    client = client_for(alice)
    entry_id = str(uuid.uuid4())

    pain = client.post(own_url("pain-entries"), pain_body(id=entry_id))
    use = client.post(own_url("use-entries"), use_body(id=entry_id))

    assert (pain.status_code, use.status_code) == (201, 201)


def test_a_malformed_client_id_is_rejected(alice):
    response = client_for(alice).post(own_url("pain-entries"), pain_body(id="not-a-uuid"))

    assert response.status_code == 400
    assert "id" in response.json()
    assert count("pain-entries") == 0


def test_timestamps_of_an_entry_are_set_by_the_server(alice):
    response = client_for(alice).post(
        own_url("pain-entries"),
        pain_body(created_at="2020-01-01T00:00:00Z", updated_at="2020-01-01T00:00:00Z"),
    )

    assert response.status_code == 201
    assert parse_dt(response.json()["created_at"]) == NOW
    assert parse_dt(response.json()["updated_at"]) == NOW
