"""The clinician's patient page: timeline, flags with evidence, reviews, entries, thresholds.

The clock stands at 2026-04-02 12:00 UTC (``frozen_now``): 14:00 in alice's Berlin. bob is on
alice's care team; carol (same clinic, not on it) and dave (another clinic) see nothing.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journals import services
from journals.choices import Substance, Unit
from journals.flags import services as flag_services
from journals.flags.services import flags_evaluate
from journals.models import (
    Flag,
    FlagStatus,
    PatientThresholds,
    Review,
    Rule,
    Severity,
    UseEntry,
)
from patients import services as patient_services
from patients.models import AuditEvent, User
from tests.conftest import client_for
from tests.factories import PainEntryFactory, SleepEntryFactory, UseEntryFactory
from tests.journals.helpers import local

TODAY = date(2026, 4, 2)


def page_url(patient: User) -> str:
    return reverse("clinician-patient", kwargs={"patient_id": patient.pk})


def flag_url(patient: User, flag: Flag, action: str) -> str:
    return reverse(
        "clinician-flag-change",
        kwargs={"patient_id": patient.pk, "flag_id": flag.pk, "action": action},
    )


def make_flag(patient: User, rule: str = Rule.CO_USE, **extra: Any) -> Flag:
    """A flag as the flag engine leaves it (the engine is tested on its own)."""
    entry = UseEntryFactory(patient=patient, taken_at=local(TODAY - timedelta(days=1), 23, 30))
    fields: dict[str, Any] = {
        "patient": patient,
        "rule": rule,
        "severity": Severity.HIGH,
        "window_start": TODAY - timedelta(days=1),
        "window_end": TODAY - timedelta(days=1),
        "evidence": [
            {
                "entry_id": str(entry.pk),
                "kind": "use",
                "at": entry.taken_at.isoformat(),
                "values": {  # as the engine records the factory's dose
                    "substance": "kratom",
                    "form": "powder",
                    "amount": "2.500",
                    "unit": "g",
                    "reason": "pain",
                },
            }
        ],
        **extra,
    }
    return Flag.objects.create(**fields)


def text_of(response: Any) -> str:
    assert response.status_code == 200, response.content
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(client: Any, response: Any) -> str:
    assert response.status_code == 302
    assert response["Location"] == page_url_of(response)
    return text_of(client.get(response["Location"]))


def page_url_of(response: Any) -> str:
    return response["Location"]


@pytest.fixture
def bob_client(bob: User, alice_team: Any) -> Any:
    return client_for(bob)


# The page ----------------------------------------------------------------------------------


def test_it_shows_the_header(bob_client, alice, frozen_now):
    PainEntryFactory(patient=alice, recorded_at=local(TODAY, 9, 15), intensity=4)

    html = text_of(bob_client.get(page_url(alice)))

    assert "<h1>Alice</h1>" in html
    assert "Europe/Berlin" in html
    assert "Thu 2 Apr 2026 09:15" in html
    assert "Not reviewed yet" in html


def test_it_draws_the_three_charts_on_a_90_day_axis(bob_client, alice, frozen_now):
    html = text_of(bob_client.get(page_url(alice)))

    for key in ("pain", "sleep", "kratom"):
        assert f'id="chart-{key}"' in html
        assert f'id="data-{key}"' in html
    start = (TODAY - timedelta(days=89)).isoformat()
    assert html.count(f'data-start="{start}"') == 3


def test_it_marks_days_with_kratom_and_alcohol(bob_client, alice, frozen_now):
    day = TODAY - timedelta(days=3)
    UseEntryFactory(patient=alice, taken_at=local(day, 20))
    UseEntryFactory(
        patient=alice,
        taken_at=local(day, 22),
        substance=Substance.ALCOHOL,
        unit=Unit.STANDARD_DRINK,
        form="liquid",
        amount=Decimal(2),
    )
    UseEntryFactory(patient=alice, taken_at=local(day - timedelta(days=1), 20))

    html = text_of(bob_client.get(page_url(alice)))

    marked = re.findall(r'<polygon class="day-marker"[^>]*data-date="([0-9-]+)"', html)
    assert marked == [day.isoformat()]
    assert "Kratom with alcohol or a sedative: 1 day." in html


def _marked_days(client: Any, patient: User) -> list[str]:
    html = text_of(client.get(page_url(patient)))
    return re.findall(r'<polygon class="day-marker"[^>]*data-date="([0-9-]+)"', html)


def test_it_marks_both_days_of_kratom_and_alcohol_across_midnight_within_the_window(
    bob_client, alice, frozen_now
):
    day = TODAY - timedelta(days=3)
    UseEntryFactory(patient=alice, taken_at=local(day, 23, 30))
    UseEntryFactory(
        patient=alice,
        taken_at=local(day + timedelta(days=1), 1),
        substance=Substance.ALCOHOL,
        unit=Unit.STANDARD_DRINK,
        form="liquid",
        amount=Decimal(2),
    )

    assert _marked_days(bob_client, alice) == [day.isoformat(), (day + timedelta(1)).isoformat()]

    # The care team's window for this patient, as their co_use flag reads it.
    PatientThresholds.objects.create(patient=alice, co_use_window_hours=1)
    assert _marked_days(bob_client, alice) == []


def test_it_lists_open_flags_with_their_evidence(bob_client, alice, frozen_now):
    make_flag(alice)

    html = text_of(bob_client.get(page_url(alice)))

    assert "High severity" in html
    assert "Kratom with alcohol or a sedative" in html
    assert "Wed 1 Apr 2026" in html  # the window
    assert "Wed 1 Apr 2026 23:30" in html  # the evidence, in Berlin
    assert "Kratom 2.5 g powder · for pain" in html  # in words
    assert "since this flag recorded it" not in html
    assert "Acknowledge" in html


def test_a_short_evidence_list_is_shown_and_a_long_one_folded(bob_client, alice, frozen_now):
    short = make_flag(alice)
    long = make_flag(alice, rule=Rule.ESCALATION)
    long.evidence = long.evidence * 6
    long.save(update_fields=["evidence"])

    page = bob_client.get(page_url(alice)).content.decode()

    def evidence_of(flag: Flag) -> str:
        card = page.split(f'id="flag-{flag.pk}"')[1]
        return re.search(r"<details[^>]*>\s*<summary>[^<]*</summary>", card).group(0)

    assert "open" in evidence_of(short)
    assert "Evidence: 1 entry" in evidence_of(short)
    assert "open" not in evidence_of(long)
    assert "Evidence: 6 entries" in evidence_of(long)


def test_it_lists_entries_in_the_patients_zone_newest_first(bob_client, alice, frozen_now):
    PainEntryFactory(patient=alice, recorded_at=local(TODAY, 9, 15), intensity=3)
    PainEntryFactory(patient=alice, recorded_at=local(TODAY - timedelta(days=2), 21), intensity=7)
    PainEntryFactory(patient=alice, recorded_at=local(TODAY - timedelta(days=40), 21))

    html = text_of(bob_client.get(page_url(alice)))

    entries = html.split('id="entries-heading"')[1]
    assert entries.index("Thu 2 Apr 2026 09:15") < entries.index("Tue 31 Mar 2026 21:00")
    assert "Pain 3/10" in entries
    assert "Pain 7/10" in entries
    assert "Sat 21 Feb" not in entries


def test_sleep_entries_show_their_times_in_the_patients_zone(erin, bob, erin_team, frozen_now):
    SleepEntryFactory(patient=erin, night_of=date(2026, 3, 30))

    html = text_of(client_for(bob).get(page_url(erin)))

    entries = html.split('id="entries-heading"')[1]
    assert "America/Chicago" in entries
    assert "Mon 30 Mar 2026 22:30" in entries
    assert "in bed 22:30" in entries


def test_each_get_writes_one_audit_event(bob_client, alice, bob, frozen_now):
    bob_client.get(page_url(alice))
    bob_client.get(page_url(alice))

    events = AuditEvent.objects.filter(actor=bob, patient=alice)
    assert events.count() == 2


def log_dose(patient: User, grams: str) -> UseEntry:
    """A kratom dose logged this morning, and the flag evaluation that follows it."""
    entry, _ = services.entry_create(
        patient=patient,
        model=UseEntry,
        data={
            "taken_at": local(TODAY, 8, 5),
            "substance": "kratom",
            "form": "capsule",
            "amount": Decimal(grams),
            "unit": "g",
            "mixed_with": "water",
            "reason": "pain",
        },
    )
    flags_evaluate(patient_id=patient.pk)
    return entry


def flag_html(html: str, rule: str) -> str:
    """The flag's own card on the page."""
    flag = Flag.objects.get(rule=rule)
    return html.split(f'id="flag-{flag.pk}"')[1].split("</li>")[0]


def test_evidence_of_an_edited_entry_shows_what_raised_the_flag_and_says_it_changed(
    bob_client, alice, frozen_now
):
    entry = log_dose(alice, "7")
    services.entry_update(entry=entry, data={"amount": Decimal("0.5")})
    flags_evaluate(patient_id=alice.pk)

    card = flag_html(text_of(bob_client.get(page_url(alice))), Rule.HIGH_SINGLE_DOSE)

    assert "Thu 2 Apr 2026 08:05</th><td>Use</td><td>Kratom 7 g capsule · for pain<br>" in card
    assert "Changed by the patient since this flag recorded it; now: Kratom 0.5 g capsule" in card


def test_evidence_of_a_deleted_entry_shows_the_values_the_rule_saw_and_says_so(
    bob_client, alice, frozen_now
):
    services.entry_delete(entry=log_dose(alice, "6"))

    card = flag_html(text_of(bob_client.get(page_url(alice))), Rule.HIGH_SINGLE_DOSE)

    assert "Thu 2 Apr 2026 08:05</th><td>Use</td><td>Kratom 6 g capsule · for pain<br>" in card
    assert "Deleted by the patient since this flag recorded it." in card
    assert "amount" not in card


def test_evidence_of_a_night_shows_its_sleep_in_words(bob_client, alice, frozen_now):
    for back in (1, 2, 3):  # three nights of 4 h 30 asleep in 5 h in bed: poor_sleep
        bedtime = local(TODAY - timedelta(days=back), 23)
        SleepEntryFactory(
            patient=alice,
            night_of=TODAY - timedelta(days=back),
            bedtime=bedtime,
            lights_out_at=bedtime,
            final_wake_at=bedtime + timedelta(hours=5),
            rise_at=bedtime + timedelta(hours=5),
            sleep_onset_latency_min=15,
            wake_after_sleep_onset_min=15,
        )
    flags_evaluate(patient_id=alice.pk)

    card = flag_html(text_of(bob_client.get(page_url(alice))), Rule.POOR_SLEEP)

    assert (
        "Tue 31 Mar 2026 23:00</th><td>Sleep diary</td>"
        "<td>Night of Tue 31 Mar · total sleep 4 h 30 min · efficiency 90.0%</td>"
    ) in card


def test_review_times_are_in_the_patients_zone(bob_client, alice, bob, frozen_now):
    flag_services.review_create(patient=alice, clinician=bob, note="Seen.")

    html = text_of(bob_client.get(page_url(alice)))

    assert "Thu 2 Apr 2026 14:00 by Dr Bob" in html


# Flags -------------------------------------------------------------------------------------


def test_acknowledging_with_a_note_moves_the_flag(bob_client, alice, bob, frozen_now):
    flag = make_flag(alice)

    response = bob_client.post(flag_url(alice, flag, "acknowledge"), {"note": "Called her."})

    assert response.status_code == 302
    assert response["Location"] == page_url(alice)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ACKNOWLEDGED
    assert flag.acknowledgement_note == "Called her."
    assert flag.acknowledged_by == bob
    assert "acknowledged" in text_of(bob_client.get(page_url(alice)))


def test_resolving_with_a_note_closes_the_flag(bob_client, alice, bob, frozen_now):
    flag = make_flag(alice)

    bob_client.post(flag_url(alice, flag, "resolve"), {"note": "Stopped alcohol."})

    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert (flag.resolved_by, flag.resolved_at) == (bob, frozen_now)
    assert flag.resolution_note == "Stopped alcohol."


def test_the_page_shows_who_acknowledged_and_who_resolved_each_with_their_note(
    bob_client, alice, carol, frozen_now
):
    patient_services.care_team_add(patient=alice, clinician=carol)
    flag = make_flag(alice)
    bob_client.post(flag_url(alice, flag, "acknowledge"), {"note": "Called her."})
    with time_machine.travel(frozen_now + timedelta(hours=3), tick=False):
        client_for(carol).post(flag_url(alice, flag, "resolve"), {"note": "Stopped alcohol."})

    html = text_of(bob_client.get(page_url(alice)))

    assert "Thu 2 Apr 2026 14:00</time> by Dr Bob. Note: Called her.</p>" in html
    assert "Thu 2 Apr 2026 17:00</time> by Dr Carol. Note: Stopped alcohol.</p>" in html


def test_acknowledging_twice_answers_with_a_message(bob_client, alice, frozen_now):
    flag = make_flag(alice)
    bob_client.post(flag_url(alice, flag, "acknowledge"), {"note": "One"})

    response = bob_client.post(flag_url(alice, flag, "acknowledge"), {"note": "Two"})

    assert response.status_code == 302
    assert "This flag is already acknowledged." in text_of(bob_client.get(page_url(alice)))
    flag.refresh_from_db()
    assert flag.acknowledgement_note == "One"


def test_resolving_twice_answers_with_a_message(bob_client, alice, frozen_now):
    flag = make_flag(alice)
    bob_client.post(flag_url(alice, flag, "resolve"))

    response = bob_client.post(flag_url(alice, flag, "resolve"))

    assert response.status_code == 302
    assert "This flag is already resolved." in text_of(bob_client.get(page_url(alice)))


def test_a_too_long_note_is_refused(bob_client, alice, frozen_now):
    flag = make_flag(alice)

    bob_client.post(flag_url(alice, flag, "acknowledge"), {"note": "x" * 5000})

    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_a_flag_of_another_patient_is_404(bob_client, alice, erin, erin_team, frozen_now):
    flag = make_flag(erin)

    response = bob_client.post(flag_url(alice, flag, "acknowledge"))

    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_an_unknown_action_is_404(bob_client, alice, frozen_now):
    flag = make_flag(alice)

    assert bob_client.post(flag_url(alice, flag, "delete")).status_code == 404


# Reviews -----------------------------------------------------------------------------------


def test_mark_reviewed_with_a_note(bob_client, alice, bob, frozen_now):
    url = reverse("clinician-review-create", kwargs={"patient_id": alice.pk})

    response = bob_client.post(url, {"note": "Sleep better; keep watching alcohol."})

    assert response.status_code == 302
    review = Review.objects.get(patient=alice)
    assert review.clinician == bob
    assert review.note == "Sleep better; keep watching alcohol."
    html = text_of(bob_client.get(page_url(alice)))
    assert "Sleep better; keep watching alcohol." in html
    assert "marked reviewed up to now" in html


def test_mark_reviewed_without_a_note(bob_client, alice, frozen_now):
    url = reverse("clinician-review-create", kwargs={"patient_id": alice.pk})

    bob_client.post(url, {"note": ""})

    assert Review.objects.get(patient=alice).note == ""
    assert "Not reviewed yet" not in text_of(bob_client.get(page_url(alice)))


def test_a_too_long_review_note_saves_nothing(bob_client, alice, frozen_now):
    url = reverse("clinician-review-create", kwargs={"patient_id": alice.pk})

    response = bob_client.post(url, {"note": "x" * 5000})

    assert response.status_code == 302
    assert not Review.objects.filter(patient=alice).exists()
    assert "at most" in text_of(bob_client.get(page_url(alice)))


# Thresholds --------------------------------------------------------------------------------


def thresholds_url(patient: User) -> str:
    return reverse("clinician-thresholds", kwargs={"patient_id": patient.pk})


def test_the_thresholds_form_shows_effective_and_clinic_values(bob_client, alice, bob):
    flag_services.thresholds_update(
        patient=alice, clinician=bob, data={"single_dose_g": Decimal(4)}
    )

    html = text_of(bob_client.get(page_url(alice)))

    assert "In effect: 4. Clinic default: 5." in html
    assert "In effect: 15. Clinic default: 15." in html


def test_valid_thresholds_are_saved(bob_client, alice, bob):
    response = bob_client.post(thresholds_url(alice), {"daily_total_g": "12.5", "pain_high": "8"})

    assert response.status_code == 302
    saved = PatientThresholds.objects.get(pk=alice.pk)
    assert saved.daily_total_g == Decimal("12.5")
    assert saved.pain_high == 8
    assert saved.single_dose_g is None
    assert saved.updated_by == bob


def test_blank_thresholds_go_back_to_the_clinic_defaults(bob_client, alice, bob):
    flag_services.thresholds_update(
        patient=alice, clinician=bob, data={"single_dose_g": Decimal(4)}
    )

    bob_client.post(thresholds_url(alice), {"single_dose_g": ""})

    assert PatientThresholds.objects.get(pk=alice.pk).single_dose_g is None


def test_invalid_thresholds_save_nothing(bob_client, alice):
    response = bob_client.post(thresholds_url(alice), {"daily_total_g": "12", "pain_high": "11"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "less than or equal to 10" in html
    assert not PatientThresholds.objects.filter(pk=alice.pk).exists()


# Who may see it ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["carol", "dave"])
def test_clinicians_off_the_care_team_get_404(who, alice, alice_team, request):
    client = client_for(request.getfixturevalue(who))

    assert client.get(page_url(alice)).status_code == 404


def test_bob_gets_404_after_alice_revokes_consent(bob_client, alice, alice_team):
    patient_services.care_team_revoke(membership=alice_team)

    assert bob_client.get(page_url(alice)).status_code == 404


def test_a_patient_is_sent_to_their_own_side(alice):
    response = client_for(alice).get(page_url(alice))

    assert response.status_code == 302
    assert response["Location"] == reverse("today")


# Queries -----------------------------------------------------------------------------------


# Session and user 2, the two-step device the session passed 1, the patient 1, the charts'
# series 4, co-use days 1, reviews 1, flags 1, the audit event 1, last entry 1, the entries
# table 4, thresholds 2 (read once: for the form and the co-use window).
PAGE_QUERIES = 19
# ... and one per kind of entry the flags' evidence names.
EVIDENCE_QUERIES_PER_KIND = 1


def log_days(patient: User, days: int) -> None:
    for back in range(days):
        day = TODAY - timedelta(days=back)
        PainEntryFactory(patient=patient, recorded_at=local(day, 20))
        UseEntryFactory(patient=patient, taken_at=local(day, 21))
        SleepEntryFactory(patient=patient, night_of=day - timedelta(days=1))


def count_queries(client: Any, patient: User) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(patient)).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_entries(bob_client, alice, erin, erin_team, frozen_now):
    log_days(alice, 10)
    log_days(erin, 90)

    assert count_queries(bob_client, alice) == PAGE_QUERIES
    assert count_queries(bob_client, erin) == PAGE_QUERIES


def test_queries_do_not_grow_with_flags(bob_client, alice, erin, erin_team, bob, frozen_now):
    make_flag(alice)
    for rule in list(Rule)[:10]:
        flag = make_flag(erin, rule=rule)
        if rule != Rule.CO_USE:
            flag_services.flag_acknowledge(flag=flag, clinician=bob, note="seen")
    Review.objects.create(patient=alice, clinician=bob)
    for _ in range(10):
        Review.objects.create(patient=erin, clinician=bob)

    with_evidence = PAGE_QUERIES + EVIDENCE_QUERIES_PER_KIND  # all of it use entries
    assert count_queries(bob_client, alice) == with_evidence
    assert count_queries(bob_client, erin) == with_evidence
