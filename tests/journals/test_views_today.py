"""Today, the evening check-in and the morning sleep diary, as pages (issue 3).

The clock stands still: in the evening at 21:30 in Berlin (19:30 UTC, CEST), or in the
morning at 07:15 in Berlin. alice lives in Berlin, erin in Chicago.
"""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine

from journals import safety
from journals.choices import Form, Substance, Unit
from journals.models import PainEntry, PatientThresholds, PegAssessment, SleepEntry, UseEntry
from tests.conftest import Client, client_for
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.journals.helpers import BERLIN, CHICAGO, local, sleep_times

EVENING = datetime(2026, 4, 2, 19, 30, tzinfo=UTC)  # 21:30 in Berlin
MORNING = datetime(2026, 4, 2, 5, 15, tzinfo=UTC)  # 07:15 in Berlin
TODAY = date(2026, 4, 2)
YESTERDAY = date(2026, 4, 1)

KRATOM = {
    "kratom-took": "on",
    "kratom-amount": "3.5",
    "kratom-unit": "g",
    "kratom-form": "powder",
    "kratom-mixed_with": "warm_water",
    "kratom-reason": "pain",
    "kratom-taken_at": "2026-04-02T21:00",
}
ALCOHOL = {
    "other1-substance": "alcohol",
    "other1-amount": "2",
    "other1-unit": "",
    "other1-taken_at": "2026-04-02T20:15",
}


@pytest.fixture
def evening() -> Iterator[datetime]:
    with time_machine.travel(EVENING, tick=False):
        yield EVENING


@pytest.fixture
def morning() -> Iterator[datetime]:
    with time_machine.travel(MORNING, tick=False):
        yield MORNING


def checkin_body(*parts: dict[str, str], **fields: str) -> dict[str, str]:
    body = {"pain-intensity": "6", "pain-note": "Knees after the walk."}
    for part in parts:
        body.update(part)
    return {**body, **fields}


def diary_body(**fields: str) -> dict[str, str]:
    """In bed 22:30, lights out 23:00, awake 06:30, up 07:00; SOL 20, WASO 40:
    TIB 510 min, TST 390 min (6 h 30 min), SE 76.5 %."""
    body = {
        "night_of": "2026-04-01",
        "bedtime": "22:30",
        "lights_out_at": "23:00",
        "sleep_onset_latency_min": "20",
        "awakenings": "2",
        "wake_after_sleep_onset_min": "40",
        "final_wake_at": "06:30",
        "rise_at": "07:00",
        "quality": "3",
        "note": "Neighbours' party.",
    }
    return {**body, **fields}


def row_counts() -> tuple[int, int, int, int]:
    return (
        PainEntry.objects.count(),
        PegAssessment.objects.count(),
        SleepEntry.objects.count(),
        UseEntry.objects.count(),
    )


class _Fields(HTMLParser):
    """The values a browser would submit from a page, and each input's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name") or ""
        if tag == "input" and name:
            self.attrs.setdefault(name, found)
            if found.get("type") not in ("radio", "checkbox"):
                self.values.setdefault(name, []).append(found.get("value") or "")
            elif "checked" in found:
                self.values.setdefault(name, []).append(found.get("value") or "on")
        elif tag == "select":
            self._select = name
            self.attrs.setdefault(name, found)
        elif tag == "option" and self._select and "selected" in found:
            self.values.setdefault(self._select, []).append(found.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            self.attrs.setdefault(name, found)
            self.values[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = self.values[self._textarea][0]
            self.values[self._textarea] = [text.removeprefix("\n")]  # as a browser reads it
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][0] += data


def fields_of(response: Any) -> _Fields:
    parser = _Fields()
    parser.feed(response.content.decode())
    return parser


def error_next_to(response: Any, name: str) -> str:
    """The error message rendered with a field, which the field names in aria-describedby."""
    page = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{name}_error"><li>(.*?)</li>', page)
    assert found, f"no error shown with {name}"
    attrs = fields_of(response).attrs[name]
    assert attrs.get("aria-invalid") == "true"
    if attrs.get("type") in ("radio", "checkbox"):  # the group's fieldset names it
        assert re.search(rf'<fieldset aria-describedby="[^"]*id_{name}_error', page)
    else:
        assert f"id_{name}_error" in (attrs.get("aria-describedby") or "")
    return found.group(1)


# Today -------------------------------------------------------------------------------------


def test_today_offers_both_check_ins_as_not_done_yet(alice, evening):
    page = client_for(alice).get("/today/").content.decode()

    assert 'href="/checkin/evening/"' in page
    assert 'href="/checkin/morning/"' in page
    assert "Not done yet today" in page
    assert "Not done yet for last night" in page


def test_today_marks_both_check_ins_done(alice, evening):
    PainEntryFactory(patient=alice, recorded_at=local(TODAY, 21, 0))
    SleepEntryFactory(patient=alice, night_of=YESTERDAY)

    page = client_for(alice).get("/today/").content.decode()

    assert "Done today" in page
    assert "Done for last night" in page


def test_until_4_in_the_morning_the_evening_check_in_is_last_evenings(alice):
    PainEntryFactory(patient=alice, recorded_at=local(YESTERDAY, 21, 41))
    client = client_for(alice)

    with time_machine.travel(local(TODAY, 3, 29), tick=False):
        page = client.get("/today/").content.decode()
        form = client.get("/checkin/evening/").content.decode()
    assert "Done for last evening" in page
    assert "You already checked in last evening at 21:41." in form

    with time_machine.travel(local(TODAY, 4, 1), tick=False):
        assert "Not done yet today" in client.get("/today/").content.decode()


def test_a_check_in_at_half_past_midnight_is_last_evenings_not_todays(alice):
    PainEntryFactory(patient=alice, recorded_at=local(TODAY, 0, 30))
    client = client_for(alice)

    with time_machine.travel(local(TODAY, 0, 45), tick=False):
        assert "Done for last evening" in client.get("/today/").content.decode()
    with time_machine.travel(local(TODAY, 21, 0), tick=False):
        page = client.get("/today/").content.decode()
    assert "Not done yet today" in page
    assert "00:30</time> Pain" in page  # still listed under its own calendar day


def test_today_lists_pain_and_use_of_the_patients_local_day(alice, evening):
    PainEntryFactory(patient=alice, intensity=7, recorded_at=local(TODAY, 0, 30))
    PainEntryFactory(patient=alice, intensity=3, recorded_at=local(YESTERDAY, 23, 30))
    UseEntryFactory(patient=alice, amount=Decimal("2.5"), taken_at=local(TODAY, 20, 5))

    page = client_for(alice).get("/today/").content.decode()

    assert "00:30</time> Pain 7 out of 10" in page
    assert "Pain 3 out of 10" not in page
    assert "20:05</time> Kratom, 2.5 g, powder" in page


def test_today_writes_one_tablet_and_one_standard_drink_in_the_singular(alice, evening):
    for substance, unit, form in (
        (Substance.BENZODIAZEPINE, Unit.TABLET, Form.TABLET),
        (Substance.ALCOHOL, Unit.STANDARD_DRINK, Form.LIQUID),
    ):
        UseEntryFactory(
            patient=alice,
            substance=substance,
            unit=unit,
            form=form,
            amount=Decimal(1),
            taken_at=local(TODAY, 20, 0),
        )

    page = client_for(alice).get("/today/").content.decode()

    assert "Benzodiazepine, 1 tablet</li>" in page
    assert "Alcohol, 1 standard drink</li>" in page


def test_today_keeps_the_7_oh_products_own_label(alice, evening):
    UseEntryFactory(
        patient=alice,
        form=Form.SEVEN_OH,
        unit=Unit.MG,
        amount=Decimal(15),
        taken_at=local(TODAY, 20, 0),
    )

    page = client_for(alice).get("/today/").content.decode()

    assert "Kratom, 15 mg, 7-OH product</li>" in page


def test_today_follows_erins_day_in_chicago(erin, evening):
    # 02:00 UTC on 2 April is 21:00 on 1 April in Chicago: yesterday for erin.
    PainEntryFactory(patient=erin, intensity=8, recorded_at=datetime(2026, 4, 2, 2, tzinfo=UTC))
    PainEntryFactory(patient=erin, intensity=4, recorded_at=local(TODAY, 9, 0, CHICAGO))

    page = client_for(erin).get("/today/").content.decode()

    assert "09:00</time> Pain 4 out of 10" in page
    assert "Pain 8 out of 10" not in page


def test_today_shows_the_weekly_peg_score_logged_today(alice, evening):
    PegAssessmentFactory(patient=alice, recorded_at=local(TODAY, 21, 0))

    page = client_for(alice).get("/today/").content.decode()

    assert "PEG score 5.0" in page


def test_today_shows_last_nights_total_sleep_and_efficiency(alice, evening):
    SleepEntryFactory(
        patient=alice,
        night_of=YESTERDAY,
        **sleep_times(YESTERDAY),
        sleep_onset_latency_min=20,
        wake_after_sleep_onset_min=40,
    )

    page = client_for(alice).get("/today/").content.decode()

    assert "6 h 30 min" in page
    assert "76.5%" in page


# session, user, profile; pain, PEG, use (28 days), last night's sleep; the care team's co-use
# window (the clinic's thresholds and the patient's overrides)
TODAY_QUERIES = 9


def _days_of_history(patient, days: int) -> None:
    for back in range(days):
        day = TODAY - timedelta(days=back)
        PainEntryFactory(patient=patient, recorded_at=local(day, 20, 0))
        UseEntryFactory(patient=patient, taken_at=local(day, 20, 30))
        if back:
            SleepEntryFactory(patient=patient, night_of=day)
        if back % 7 == 0:
            PegAssessmentFactory(patient=patient, recorded_at=local(day, 20, 0))


def test_today_runs_a_fixed_number_of_queries_with_1_day_of_history(
    alice, evening, django_assert_num_queries
):
    _days_of_history(alice, 1)
    client = client_for(alice)

    with django_assert_num_queries(TODAY_QUERIES):
        assert client.get("/today/").status_code == 200


def test_today_runs_as_many_queries_with_60_days_of_history(
    alice, evening, django_assert_num_queries
):
    _days_of_history(alice, 60)
    client = client_for(alice)

    with django_assert_num_queries(TODAY_QUERIES):
        assert client.get("/today/").status_code == 200


# Evening check-in --------------------------------------------------------------------------


def test_evening_check_in_shows_pain_kratom_and_anything_else_fields(alice, evening):
    fields = fields_of(client_for(alice).get("/checkin/evening/"))

    assert fields.attrs["pain-intensity"]["type"] == "radio"
    for name in ("pain-locations", "pain-note", "kratom-took", "kratom-amount", "kratom-unit"):
        assert name in fields.attrs
    for name in ("kratom-form", "kratom-mixed_with", "kratom-taken_at"):
        assert name in fields.attrs
    for row in ("other1", "other2"):
        for name in ("substance", "amount", "unit", "taken_at"):
            assert f"{row}-{name}" in fields.attrs


def test_evening_check_in_says_when_today_was_already_checked_in(alice, evening):
    client = client_for(alice)
    assert "You already checked in" not in client.get("/checkin/evening/").content.decode()
    PainEntryFactory(patient=alice, recorded_at=local(YESTERDAY, 21, 0))
    assert "You already checked in" not in client.get("/checkin/evening/").content.decode()

    PainEntryFactory(patient=alice, recorded_at=local(TODAY, 20, 40))
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 20, 45))

    page = client.get("/checkin/evening/").content.decode()
    assert "You already checked in today at 20:40." in page
    assert "Saving this form adds new entries." in page


def test_evening_check_in_offers_only_alcohol_and_sedatives_as_anything_else(alice, evening):
    page = client_for(alice).get("/checkin/evening/").content.decode()
    row = page[
        page.index('name="other1-substance"') : page.index("</select>", page.index("other1"))
    ]

    offered = re.findall(r'<option value="([a-z_]+)"', row)

    assert offered == [
        "alcohol",
        "benzodiazepine",
        "opioid",
        "gabapentinoid",
        "other_sedative",
        "cannabis",
        "other",
    ]


def test_evening_check_in_times_default_to_now_in_local_time(alice, evening):
    fields = fields_of(client_for(alice).get("/checkin/evening/"))

    assert fields.values["kratom-taken_at"] == ["2026-04-02T21:30"]
    assert fields.values["other1-taken_at"] == ["2026-04-02T21:30"]


def test_evening_check_in_saves_pain_kratom_and_alcohol_in_one_go(alice, evening):
    response = client_for(alice).post("/checkin/evening/", checkin_body(KRATOM, ALCOHOL))

    assert response.status_code == 302
    pain = PainEntry.objects.get(patient=alice)
    assert (pain.intensity, pain.recorded_at) == (6, EVENING)
    kratom = UseEntry.objects.get(patient=alice, substance=Substance.KRATOM)
    assert kratom.taken_at == datetime(2026, 4, 2, 19, 0, tzinfo=UTC)
    assert (kratom.amount, kratom.unit, kratom.form) == (Decimal("3.5"), Unit.G, Form.POWDER)
    alcohol = UseEntry.objects.get(patient=alice, substance=Substance.ALCOHOL)
    assert alcohol.taken_at == datetime(2026, 4, 2, 18, 15, tzinfo=UTC)
    assert (alcohol.amount, alcohol.unit) == (Decimal(2), Unit.STANDARD_DRINK)


def test_a_check_in_sent_after_being_signed_out_elsewhere_says_it_was_not_saved(alice, evening):
    from patients.services import user_sessions_end

    client = client_for(alice)
    client.get("/checkin/evening/")
    user_sessions_end(user=alice)  # "Sign out" pressed on another device

    response = client.post("/checkin/evening/", checkin_body(KRATOM), follow=True)

    assert response.redirect_chain == [("/signin/?next=/checkin/evening/", 302)]
    assert "You were signed out, so what you sent was not saved." in response.content.decode()
    assert not PainEntry.objects.exists()
    assert not UseEntry.objects.exists()


def test_opening_a_page_signed_out_says_nothing_about_saving(alice, evening):
    page = Client().get("/checkin/evening/", follow=True).content.decode()

    assert "Sign in" in page
    assert "was not saved" not in page


def test_saving_the_evening_check_in_lands_on_today_with_a_message(alice, evening):
    response = client_for(alice).post("/checkin/evening/", checkin_body(), follow=True)

    assert response.redirect_chain == [("/today/", 302)]
    assert "Evening check-in saved." in response.content.decode()


def test_kratom_left_unticked_with_the_prefilled_dose_saves_no_use_entry(alice, evening):
    UseEntryFactory(patient=alice, taken_at=local(YESTERDAY, 21, 0), amount=Decimal("3.5"))
    body = checkin_body({k: v for k, v in KRATOM.items() if k != "kratom-took"})

    client_for(alice).post("/checkin/evening/", body)

    assert row_counts() == (1, 0, 0, 1)


def test_a_changed_kratom_amount_left_unticked_is_asked_about_not_dropped(alice, evening):
    UseEntryFactory(patient=alice, taken_at=local(YESTERDAY, 21, 0), amount=Decimal(2))
    body = checkin_body({k: v for k, v in KRATOM.items() if k != "kratom-took"})

    response = client_for(alice).post("/checkin/evening/", body)

    page = response.content.decode()
    assert re.search(r'id="id_kratom-took_error"><li>You changed the amount: tick', page)
    assert "id_kratom-took_error" in fields_of(response).attrs["kratom-took"]["aria-describedby"]
    assert fields_of(response).attrs["kratom-amount"]["value"] == "3.5"
    assert row_counts() == (0, 0, 0, 1)


def test_kratom_defaults_come_from_the_last_kratom_entry(alice, evening):
    UseEntryFactory(patient=alice, taken_at=local(date(2026, 3, 30), 21, 0), amount=Decimal(2))
    UseEntryFactory(
        patient=alice,
        taken_at=local(YESTERDAY, 21, 0),
        amount=Decimal("4.000"),
        form=Form.CAPSULE,
        mixed_with="juice",
        reason="sleep",
    )
    UseEntryFactory(
        patient=alice,
        taken_at=local(TODAY, 9, 0),
        substance=Substance.ALCOHOL,
        amount=Decimal(1),
        unit=Unit.STANDARD_DRINK,
        form=Form.LIQUID,
    )

    fields = fields_of(client_for(alice).get("/checkin/evening/"))

    assert fields.values["kratom-amount"] == ["4"]
    assert fields.values["kratom-unit"] == ["g"]
    assert fields.values["kratom-form"] == ["capsule"]
    assert fields.values["kratom-mixed_with"] == ["juice"]
    assert fields.values["kratom-reason"] == ["sleep"]
    assert "kratom-took" not in fields.values  # never ticked for the patient


def test_weekly_pain_questions_are_asked_when_none_in_the_last_7_days(alice, evening):
    PegAssessmentFactory(patient=alice, recorded_at=local(date(2026, 3, 26), 21, 0))

    fields = fields_of(client_for(alice).get("/checkin/evening/"))

    for name in ("pain_average", "enjoyment_interference", "activity_interference"):
        assert f"peg-{name}" in fields.attrs


def test_weekly_pain_questions_use_the_past_week_wording(alice, evening):
    page = client_for(alice).get("/checkin/evening/").content.decode()

    assert "What number best describes your pain on average in the past week?" in page
    assert "during the past week, pain has interfered with your enjoyment of life?" in page
    assert "during the past week, pain has interfered with your general activity?" in page


def test_weekly_pain_questions_are_not_asked_within_7_days_of_the_last(alice, evening):
    PegAssessmentFactory(patient=alice, recorded_at=local(date(2026, 3, 27), 8, 0))

    page = client_for(alice).get("/checkin/evening/").content.decode()

    assert "peg-pain_average" not in page
    assert "in the past week" not in page


def test_weekly_pain_answers_are_saved_with_the_check_in(alice, evening):
    body = checkin_body(
        {
            "peg-pain_average": "7",
            "peg-enjoyment_interference": "5",
            "peg-activity_interference": "4",
        }
    )

    client_for(alice).post("/checkin/evening/", body)

    peg = PegAssessment.objects.get(patient=alice)
    assert (peg.score, peg.recorded_at) == (Decimal("5.3"), EVENING)


def test_a_partly_answered_peg_asks_for_the_rest_and_saves_nothing(alice, evening):
    response = client_for(alice).post("/checkin/evening/", checkin_body({"peg-pain_average": "7"}))

    assert response.status_code == 200
    assert "leave all three for another evening" in response.content.decode()
    assert row_counts() == (0, 0, 0, 0)


INVALID_PARTS = [
    pytest.param({"kratom-amount": "60"}, "kratom-amount", "More than 50 g", id="kratom-60-g"),
    pytest.param(
        {"kratom-taken_at": "2026-04-02T23:00"}, "kratom-taken_at", "in the future", id="future"
    ),
    pytest.param(
        {"kratom-unit": "mg"},
        "kratom-unit",
        "For kratom taken as powder, give the amount in g.",
        id="powder-mg",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), INVALID_PARTS)
def test_an_invalid_part_saves_nothing(alice, evening, change, field, message):
    response = client_for(alice).post("/checkin/evening/", checkin_body(KRATOM, ALCOHOL, change))

    assert response.status_code == 200
    assert row_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(("change", "field", "message"), INVALID_PARTS)
def test_an_invalid_part_keeps_every_typed_value(alice, evening, change, field, message):
    body = checkin_body(KRATOM, ALCOHOL, change, **{"pain-locations": "knees"})

    values = fields_of(client_for(alice).post("/checkin/evening/", body)).values

    for name, value in body.items():
        assert values[name] == [value], name


@pytest.mark.parametrize(("change", "field", "message"), INVALID_PARTS)
def test_an_invalid_part_shows_its_message_next_to_its_field(
    alice, evening, change, field, message
):
    response = client_for(alice).post("/checkin/evening/", checkin_body(KRATOM, ALCOHOL, change))

    assert message in error_next_to(response, field)


def test_pain_missing_and_too_much_kratom_are_both_shown_after_one_submit(alice, evening):
    body = checkin_body(KRATOM, {"kratom-amount": "70"})
    del body["pain-intensity"]

    response = client_for(alice).post("/checkin/evening/", body)

    assert error_next_to(response, "pain-intensity") == "This field is required."
    assert error_next_to(response, "kratom-amount") == (
        "More than 50 g of kratom in one dose looks like a typo."
    )
    assert row_counts() == (0, 0, 0, 0)


def test_alcohol_in_tablets_is_explained_without_the_form_the_check_in_filled_in(alice, evening):
    response = client_for(alice).post(
        "/checkin/evening/", checkin_body(ALCOHOL, {"other1-unit": "tablet"})
    )

    assert error_next_to(response, "other1-unit") == (
        "For alcohol, give the amount in standard drinks."
    )
    assert row_counts() == (0, 0, 0, 0)


def test_an_empty_post_shows_the_check_in_again_with_errors(alice, evening):
    response = client_for(alice).post("/checkin/evening/", {})

    assert response.status_code == 200
    assert error_next_to(response, "pain-intensity") == "This field is required."
    assert "Nothing was saved." in response.content.decode()


def test_an_amount_without_a_substance_asks_what_it_was(alice, evening):
    response = client_for(alice).post("/checkin/evening/", checkin_body({"other2-amount": "1"}))

    assert "Choose what you took" in error_next_to(response, "other2-substance")
    assert row_counts() == (0, 0, 0, 0)


def test_a_sedative_without_a_unit_asks_for_one(alice, evening):
    body = checkin_body({"other1-substance": "benzodiazepine", "other1-amount": "1"})

    response = client_for(alice).post("/checkin/evening/", body)

    assert error_next_to(response, "other1-unit") == "Choose a unit."


def test_a_sedative_counted_in_tablets_is_saved_as_a_tablet(alice, evening):
    body = checkin_body(
        {
            "other1-substance": "benzodiazepine",
            "other1-amount": "1",
            "other1-unit": "tablet",
            "other1-taken_at": "2026-04-02T21:15",
        }
    )

    client_for(alice).post("/checkin/evening/", body)

    dose = UseEntry.objects.get(patient=alice)
    assert (dose.substance, dose.unit, dose.form) == ("benzodiazepine", "tablet", "tablet")


def test_a_clinician_opening_the_evening_check_in_gets_the_clinician_side(bob, alice_team):
    response = client_for(bob).get("/checkin/evening/")

    assert response["Location"] == "/clinic/"


# Morning sleep diary -----------------------------------------------------------------------


def test_morning_diary_asks_the_consensus_sleep_diary_questions(alice, morning):
    page = client_for(alice).get("/checkin/morning/").content.decode()

    for question in (
        "What time did you get into bed?",
        "What time did you try to go to sleep?",
        "How long did it take you to fall asleep? (minutes)",
        "How many times did you wake up, not counting your final awakening?",
        "In total, how long did these awakenings last? (minutes)",
        "What time was your final awakening?",
        "What time did you get out of bed for the day?",
        "How would you rate the quality of your sleep?",
    ):
        assert question in page


def test_morning_diary_defaults_to_last_night_at_the_usual_times(alice, morning):
    values = fields_of(client_for(alice).get("/checkin/morning/")).values

    assert values["night_of"] == ["2026-04-01"]
    assert [values[name][0] for name in ("bedtime", "lights_out_at")] == ["22:30", "22:45"]
    assert [values[name][0] for name in ("final_wake_at", "rise_at")] == ["06:30", "06:45"]


def test_morning_diary_defaults_to_the_median_times_of_recent_nights(alice, morning):
    # Bedtimes on both sides of midnight: 23:40, 00:10 and 00:30 -> the median is 00:10.
    for night_of, bed_hour, bed_minute, wake_minute in (
        (date(2026, 3, 29), 23, 40, 0),
        (date(2026, 3, 30), 0, 10, 30),
        (date(2026, 3, 31), 0, 30, 50),
    ):
        bed_day = night_of if bed_hour >= 12 else night_of + timedelta(days=1)
        bedtime = local(bed_day, bed_hour, bed_minute)
        SleepEntryFactory(
            patient=alice,
            night_of=night_of,
            bedtime=bedtime,
            lights_out_at=bedtime + timedelta(minutes=10),
            final_wake_at=local(night_of + timedelta(days=1), 6, wake_minute),
            rise_at=local(night_of + timedelta(days=1), 6, wake_minute) + timedelta(minutes=20),
        )

    values = fields_of(client_for(alice).get("/checkin/morning/")).values

    assert [values[name][0] for name in ("bedtime", "lights_out_at")] == ["00:10", "00:20"]
    assert [values[name][0] for name in ("final_wake_at", "rise_at")] == ["06:30", "06:50"]


def test_morning_diary_default_times_are_never_later_than_now(alice):
    with time_machine.travel(datetime(2026, 4, 2, 4, 5, tzinfo=UTC), tick=False):  # 06:05
        values = fields_of(client_for(alice).get("/checkin/morning/")).values

    assert [values[name][0] for name in ("final_wake_at", "rise_at")] == ["06:05", "06:05"]


def test_morning_diary_saves_a_bedtime_after_midnight_on_the_night_before(alice, morning):
    body = diary_body(bedtime="00:30", lights_out_at="00:40")

    client_for(alice).post("/checkin/morning/", body)

    entry = SleepEntry.objects.get(patient=alice)
    assert entry.night_of == YESTERDAY
    assert entry.bedtime == datetime(2026, 4, 1, 22, 30, tzinfo=UTC)  # 00:30 CEST, 2 April
    assert entry.rise_at == datetime(2026, 4, 2, 5, 0, tzinfo=UTC)


def test_morning_diary_shows_total_sleep_and_efficiency_after_saving(alice, morning):
    response = client_for(alice).post("/checkin/morning/", diary_body(), follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [("/today/", 302)]
    assert "total sleep 6 h 30 min, sleep efficiency 76.5%" in page
    assert "<dd>6 h 30 min</dd>" in page
    assert "<dd>76.5%</dd>" in page


def test_a_second_diary_for_the_same_night_links_to_the_first_from_night_of(alice, morning):
    kept = SleepEntryFactory(patient=alice, night_of=YESTERDAY)

    response = client_for(alice).post("/checkin/morning/", diary_body(note="Second try"))

    assert error_next_to(response, "night_of") == (
        "There is already a sleep diary for the night of Wednesday 1 April: "
        f'<a href="/history/sleep/{kept.pk}/edit/">change that diary</a> '
        "instead of adding another."
    )
    assert fields_of(response).values["note"] == ["Second try"]
    assert SleepEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("night_of", "error"),
    [
        ("2026-04-03", "That night has not begun yet."),  # tomorrow in Berlin
        ("9999-12-31", "That night has not begun yet."),  # its morning is past the calendar
        ("1999-12-31", "Choose a night from 1 January 2000 on."),
        ("0001-01-01", "Choose a night from 1 January 2000 on."),
    ],
)
def test_a_night_not_begun_or_before_2000_is_an_error_on_night_of(alice, morning, night_of, error):
    response = client_for(alice).post("/checkin/morning/", diary_body(night_of=night_of))

    assert response.status_code == 200
    assert error_next_to(response, "night_of") == error
    assert not SleepEntry.objects.exists()


def test_lights_out_before_getting_into_bed_shows_the_error_on_lights_out(alice, morning):
    response = client_for(alice).post("/checkin/morning/", diary_body(lights_out_at="22:00"))

    assert error_next_to(response, "lights_out_at") == (
        "Lights out cannot be before getting into bed."
    )
    assert SleepEntry.objects.count() == 0


def test_a_wake_time_before_the_bedtime_is_refused_not_saved_as_a_22_hour_night(alice, morning):
    body = diary_body(
        night_of="2026-03-30",
        bedtime="23:00",
        lights_out_at="23:10",
        final_wake_at="22:00",
        rise_at="22:10",
    )

    response = client_for(alice).post("/checkin/morning/", body)

    assert response.status_code == 200
    assert error_next_to(response, "rise_at") == (
        "More than 16 hours in bed, from Monday 23:00 to Tuesday 22:10: check the times."
    )
    assert SleepEntry.objects.count() == 0


def test_an_empty_diary_post_shows_the_diary_again_with_errors(alice, morning):
    response = client_for(alice).post("/checkin/morning/", {})

    assert response.status_code == 200
    assert error_next_to(response, "quality") == "This field is required."


# Safety notes ------------------------------------------------------------------------------


def _leaf_doses(patient, grams: list[str]) -> None:
    """One leaf dose a day, ending yesterday evening."""
    for back, amount in enumerate(reversed(grams), start=1):
        UseEntryFactory(
            patient=patient,
            taken_at=local(TODAY - timedelta(days=back), 20, 0),
            amount=Decimal(amount),
        )


def _notes_on_today(patient) -> list[str]:
    page = client_for(patient).get("/today/").content.decode()
    return re.findall(r'class="safety-note" data-note="(\w+)"', page)


def test_kratom_and_alcohol_in_one_check_in_show_the_co_use_note_on_today(alice, evening):
    response = client_for(alice).post(
        "/checkin/evening/", checkin_body(KRATOM, ALCOHOL), follow=True
    )

    page = response.content.decode()
    assert "raises the risk of dangerous sedation and slowed breathing" in page
    assert re.search(r'<div role="status">\s*<p class="safety-note"', page)


@pytest.mark.parametrize("substance", ["benzodiazepine", "opioid", "gabapentinoid"])
def test_kratom_and_a_sedative_within_six_hours_show_the_co_use_note(alice, evening, substance):
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 15, 0))
    UseEntryFactory(
        patient=alice, taken_at=local(TODAY, 21, 0), substance=substance, unit="mg", form="tablet"
    )

    assert _notes_on_today(alice) == ["co_use"]


def test_the_care_teams_co_use_window_decides_the_note_as_it_does_the_flag(alice, evening):
    """Co-use has one window for the flag, the chart and the note (CLINICAL.md)."""
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 9, 0))
    UseEntryFactory(
        patient=alice, taken_at=local(TODAY, 20, 0), substance="opioid", unit="mg", form="tablet"
    )
    assert _notes_on_today(alice) == []

    PatientThresholds.objects.create(patient=alice, co_use_window_hours=12)

    assert _notes_on_today(alice) == ["co_use"]


def test_kratom_and_a_sedative_on_one_day_but_twelve_hours_apart_show_no_note(alice, evening):
    """CLINICAL.md: both on one calendar day but further apart than the window is not co-use."""
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 9, 0))
    UseEntryFactory(
        patient=alice, taken_at=local(TODAY, 21, 0), substance="opioid", unit="mg", form="tablet"
    )

    assert _notes_on_today(alice) == []


def test_kratom_alone_shows_no_note(alice, evening):
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 21, 0))

    assert _notes_on_today(alice) == []


def _drinks_at(patient, moment: datetime) -> None:
    UseEntryFactory(
        patient=patient,
        taken_at=moment,
        substance=Substance.ALCOHOL,
        unit=Unit.STANDARD_DRINK,
        form=Form.LIQUID,
    )


def test_alcohol_late_yesterday_and_kratom_after_midnight_show_the_co_use_note(alice, evening):
    _drinks_at(alice, local(YESTERDAY, 23, 0))
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 0, 30))

    assert _notes_on_today(alice) == ["co_use"]


def test_kratom_late_yesterday_and_alcohol_within_6_hours_show_the_note_on_both_days():
    kratom = UseEntryFactory.build(taken_at=local(YESTERDAY, 23, 30))
    drinks = UseEntryFactory.build(
        taken_at=local(TODAY, 5, 30), substance=Substance.ALCOHOL, unit=Unit.STANDARD_DRINK
    )

    assert safety.co_use_days([kratom, drinks], zone=BERLIN) == {YESTERDAY, TODAY}
    drinks.taken_at += timedelta(minutes=1)  # 6 h 1 min after the kratom
    assert safety.co_use_days([kratom, drinks], zone=BERLIN) == set()


def test_alcohol_on_another_day_more_than_6_hours_from_kratom_shows_no_note(alice, evening):
    _drinks_at(alice, local(YESTERDAY, 18, 0))
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 0, 30))

    assert _notes_on_today(alice) == []


def test_a_leaf_dose_above_the_usual_range_shows_a_note(alice, evening):
    _leaf_doses(alice, ["2", "2.5", "3", "2", "2.5"])
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 21, 0), amount=Decimal("3.5"))

    assert _notes_on_today(alice) == ["above_usual"]


def test_a_leaf_dose_at_the_top_of_the_usual_range_shows_no_note(alice, evening):
    _leaf_doses(alice, ["2", "2.5", "3", "2", "2.5"])
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 21, 0), amount=Decimal(3))

    assert _notes_on_today(alice) == []


def test_with_fewer_than_5_leaf_doses_there_is_no_usual_range_yet(alice, evening):
    _leaf_doses(alice, ["2", "2.5", "3", "2"])
    UseEntryFactory(patient=alice, taken_at=local(TODAY, 21, 0), amount=Decimal(8))

    assert _notes_on_today(alice) == []


def _dose(days_ago: int, amount: str, **fields: Any) -> UseEntry:
    return UseEntryFactory.build(
        taken_at=local(TODAY, 20, 0) - timedelta(days=days_ago), amount=Decimal(amount), **fields
    )


def test_leaf_doses_older_than_28_days_are_outside_the_usual_range():
    history = [_dose(29, "9"), *(_dose(days, "2") for days in range(1, 6))]

    assert safety.usual_leaf_max(history, before=local(TODAY, 20, 0)) == Decimal(2)


def test_extract_milligrams_never_count_as_above_the_usual_range():
    history = [_dose(days, "2") for days in range(1, 6)]
    extract = _dose(0, "40", form=Form.EXTRACT, unit=Unit.MG)

    assert safety.is_above_usual(extract, [*history, extract]) is False


def test_cannabis_with_kratom_is_not_co_use():
    uses = [_dose(0, "2"), _dose(0, "5", substance=Substance.CANNABIS, unit=Unit.MG)]

    assert safety.co_use_days(uses, zone=BERLIN) == set()


def test_no_safety_note_gives_dosing_advice():
    advice = re.compile(
        r"\d|\b(take|taking|reduce|lower|increase|cut|limit|stop|should|try|instead|dose of)\b",
        re.IGNORECASE,
    )

    for note in (safety.CO_USE, safety.ABOVE_USUAL):
        assert not advice.search(f"{note.title} {note.text}"), note.kind
        assert "Your care team can see" in note.text
