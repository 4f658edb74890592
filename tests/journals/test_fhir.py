"""The FHIR R4 export: a valid Bundle, CLINICAL.md's codes and units, stable ids, scope."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from journals.interop.fhir import FHIR_JSON, MITRA_CODES, PHR_SLEEP, journal_bundle
from patients.models import AuditAction, AuditEvent
from tests.conftest import client_for
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.journals.helpers import local, sleep_times

pytestmark = pytest.mark.usefixtures("frozen_now")

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ME = "/api/v1/me/fhir/"


def of_patient(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/fhir/"


@pytest.fixture
def journal(alice):
    """One entry of every kind, and doses of several substances and forms."""
    day = date(2026, 3, 30)
    return {
        "pain": PainEntryFactory(
            patient=alice,
            recorded_at=local(day, 20),
            intensity=6,
            locations=["lower_back", "knees"],
            note="After gardening.",
        ),
        "peg": PegAssessmentFactory(
            patient=alice,
            recorded_at=local(day, 20, 5),
            pain_average=7,
            enjoyment_interference=5,
            activity_interference=4,
        ),
        "sleep": SleepEntryFactory(
            patient=alice,
            night_of=day,
            **sleep_times(day),
            sleep_onset_latency_min=20,
            awakenings=2,
            wake_after_sleep_onset_min=40,
            quality=3,
        ),
        "kratom": UseEntryFactory(
            patient=alice,
            taken_at=local(day, 21),
            substance="kratom",
            amount=Decimal("3.5"),
            unit="g",
            form="powder",
            mixed_with="warm_water",
            product="Red Bali",
            reason="pain",
        ),
        "seven_oh": UseEntryFactory(
            patient=alice,
            taken_at=local(day, 21, 30),
            substance="kratom",
            amount=Decimal("15"),
            unit="mg",
            form="seven_oh",
            reason="",
        ),
        "alcohol": UseEntryFactory(
            patient=alice,
            taken_at=local(day, 22),
            substance="alcohol",
            amount=Decimal("2"),
            unit="standard_drink",
            form="liquid",
            mixed_with="none",
        ),
        "benzo": UseEntryFactory(
            patient=alice,
            taken_at=local(day, 22, 30),
            substance="benzodiazepine",
            amount=Decimal("1"),
            unit="tablet",
            form="tablet",
            mixed_with="water",
        ),
    }


def observations(bundle: dict) -> list[dict]:
    return [
        item["resource"]
        for item in bundle["entry"]
        if item["resource"]["resourceType"] == "Observation"
    ]


def coded(bundle: dict, system: str, code: str) -> list[dict]:
    return [
        obs
        for obs in observations(bundle)
        if any(c["system"] == system and c["code"] == code for c in obs["code"]["coding"])
    ]


def one(bundle: dict, system: str, code: str) -> dict:
    found = coded(bundle, system, code)
    assert len(found) == 1, (code, len(found))
    return found[0]


def test_the_bundle_of_every_kind_of_entry_validates_with_fhir_resources_r4b(alice, journal):
    bundle = journal_bundle(patient=alice)

    parsed = Bundle.model_validate(bundle)

    assert parsed.type == "collection"
    resources = [item["resource"] for item in bundle["entry"]]
    assert [r["resourceType"] for r in resources].count("Patient") == 1
    for resource in resources:
        model = Patient if resource["resourceType"] == "Patient" else Observation
        model.model_validate(resource)
    # pain 1, PEG 5, sleep 7, use 4
    assert len(observations(bundle)) == 17


def test_the_patient_is_the_user_id_and_nothing_identifying(alice, journal):
    patient = journal_bundle(patient=alice)["entry"][0]

    assert patient["fullUrl"] == f"urn:uuid:{alice.pk}"
    assert patient["resource"]["id"] == str(alice.pk)
    text = str(patient)
    assert alice.email not in text
    assert "Alice" not in text


def test_pain_is_loinc_72514_3_with_an_integer(alice, journal):
    obs = one(journal_bundle(patient=alice), LOINC, "72514-3")

    assert obs["valueInteger"] == 6
    assert obs["status"] == "final"
    assert obs["subject"] == {"reference": f"urn:uuid:{alice.pk}"}
    assert obs["effectiveDateTime"] == "2026-03-30T20:00:00+02:00"
    assert obs["identifier"] == [
        {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{journal['pain'].pk}"}
    ]


def test_peg_items_score_and_panel_carry_their_loinc_codes(alice, journal):
    bundle = journal_bundle(patient=alice)

    assert one(bundle, LOINC, "75893-8")["valueInteger"] == 7
    assert one(bundle, LOINC, "91145-3")["valueInteger"] == 5
    assert one(bundle, LOINC, "91146-1")["valueInteger"] == 4
    score = one(bundle, LOINC, "91147-9")["valueQuantity"]
    assert score == {"value": 5.3, "unit": "{score}", "system": UCUM, "code": "{score}"}
    panel = one(bundle, LOINC, "91148-7")
    assert "valueInteger" not in panel
    assert len(panel["hasMember"]) == 4


def test_the_peg_panel_members_resolve_inside_the_bundle(alice, journal):
    bundle = journal_bundle(patient=alice)
    by_url = {item["fullUrl"]: item["resource"] for item in bundle["entry"]}
    panel = one(bundle, LOINC, "91148-7")

    members = [by_url[ref["reference"]] for ref in panel["hasMember"]]

    codes = {m["code"]["coding"][0]["code"] for m in members}
    assert codes == {"75893-8", "91145-3", "91146-1", "91147-9"}
    assert all(m["identifier"] == panel["identifier"] for m in members)


def test_sleep_items_carry_loinc_phr_or_project_codes_and_ucum_units(alice, journal):
    bundle = journal_bundle(patient=alice)

    tst = one(bundle, LOINC, "93832-4")
    assert tst["valueQuantity"] == {"value": 390, "unit": "min", "system": UCUM, "code": "min"}
    assert {"system": PHR_SLEEP, "code": "totalSleepTime"} in [
        {"system": c["system"], "code": c["code"]} for c in tst["code"]["coding"]
    ]
    assert tst["effectivePeriod"] == {
        "start": "2026-03-30T22:30:00+02:00",
        "end": "2026-03-31T07:00:00+02:00",
    }
    assert one(bundle, PHR_SLEEP, "latencyToSleepOnset")["valueQuantity"]["value"] == 20
    assert one(bundle, PHR_SLEEP, "latencyToSleepOnset")["valueQuantity"]["code"] == "min"
    assert one(bundle, PHR_SLEEP, "wakeAfterSleepOnset")["valueQuantity"]["value"] == 40
    awakenings = one(bundle, PHR_SLEEP, "numberOfAwakenings")["valueQuantity"]
    assert (awakenings["value"], awakenings["code"]) == (2, "{count}")
    tib = one(bundle, MITRA_CODES, "time-in-bed")["valueQuantity"]
    assert (tib["value"], tib["code"]) == (510, "min")
    efficiency = one(bundle, MITRA_CODES, "sleep-efficiency")["valueQuantity"]
    assert (efficiency["value"], efficiency["code"]) == (76.5, "%")
    assert one(bundle, MITRA_CODES, "sleep-quality")["valueInteger"] == 3


def test_use_is_social_history_with_a_code_per_substance_and_ucum_units(alice, journal):
    bundle = journal_bundle(patient=alice)

    kratom = one(bundle, MITRA_CODES, "kratom-leaf")
    assert kratom["code"]["coding"][0]["display"] == "Kratom (Mitragyna speciosa) leaf"
    assert kratom["category"][0]["coding"][0]["code"] == "social-history"
    assert kratom["valueQuantity"] == {"value": 3.5, "unit": "g", "system": UCUM, "code": "g"}
    assert kratom["effectiveDateTime"] == "2026-03-30T21:00:00+02:00"
    components = {c["code"]["coding"][0]["code"]: c for c in kratom["component"]}
    assert components["use-form"]["valueCodeableConcept"]["coding"][0]["code"] == "powder"
    assert components["use-mixed-with"]["valueCodeableConcept"]["coding"][0]["code"] == (
        "warm_water"
    )
    assert components["use-reason"]["valueCodeableConcept"]["coding"][0]["code"] == "pain"
    assert components["use-product"]["valueString"] == "Red Bali"
    assert one(bundle, MITRA_CODES, "kratom-7-oh")["valueQuantity"]["code"] == "mg"
    assert one(bundle, MITRA_CODES, "alcohol")["valueQuantity"]["code"] == "{standard_drink}"
    assert one(bundle, MITRA_CODES, "benzodiazepine")["valueQuantity"]["code"] == "{tablet}"


def test_a_second_export_gives_the_same_ids(alice, journal):
    first = journal_bundle(patient=alice)
    second = journal_bundle(patient=alice)

    ids = [item["fullUrl"] for item in first["entry"]]
    assert ids == [item["fullUrl"] for item in second["entry"]]
    assert len(set(ids)) == len(ids)
    assert first["entry"] == second["entry"]


def test_the_patient_downloads_their_bundle_as_fhir_json(alice, journal):
    response = client_for(alice).get(ME)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    Bundle.model_validate_json(response.content)


def test_the_clinician_downloads_a_patients_bundle_and_it_is_audited(
    alice, bob, alice_team, journal
):
    response = client_for(bob).get(of_patient(alice))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    assert len(observations(response.json())) == 17
    events = AuditEvent.objects.filter(actor=bob, patient=alice, object_type="export_fhir")
    assert list(events.values_list("action", flat=True)) == [AuditAction.EXPORT]


@pytest.mark.parametrize("who", ["carol", "dave"])
def test_a_clinician_outside_the_care_team_gets_404(alice, alice_team, journal, who, request):
    response = client_for(request.getfixturevalue(who)).get(of_patient(alice))

    assert response.status_code == 404
    assert b"urn:uuid" not in response.content


def test_a_clinician_after_consent_is_revoked_gets_404(alice, bob, alice_team, journal):
    from patients import services

    services.care_team_revoke(membership=alice_team)

    assert client_for(bob).get(of_patient(alice)).status_code == 404


def test_a_patient_cannot_use_the_clinicians_endpoint(alice, erin, journal):
    assert client_for(erin).get(of_patient(alice)).status_code == 403


def test_since_and_until_are_local_dates_in_the_patients_zone(alice):
    # 23:30 in Berlin on 31 March is 21:30 UTC; 00:30 on 1 April is 22:30 UTC on 31 March.
    late = PainEntryFactory(patient=alice, recorded_at=local(date(2026, 3, 31), 23, 30))
    early = PainEntryFactory(patient=alice, recorded_at=local(date(2026, 4, 1), 0, 30))
    client = client_for(alice)

    on_first = client.get(ME, {"since": "2026-04-01", "until": "2026-04-01"}).json()
    on_last = client.get(ME, {"until": "2026-03-31"}).json()

    assert [o["identifier"][0]["value"] for o in observations(on_first)] == [f"urn:uuid:{early.pk}"]
    assert [o["identifier"][0]["value"] for o in observations(on_last)] == [f"urn:uuid:{late.pk}"]


def test_a_sleep_diary_counts_on_the_evening_its_night_began(alice):
    SleepEntryFactory(patient=alice, night_of=date(2026, 3, 31))

    bundle = client_for(alice).get(ME, {"since": "2026-04-01"}).json()
    evening = client_for(alice).get(ME, {"until": "2026-03-31"}).json()

    assert observations(bundle) == []
    assert len(observations(evening)) == 7


@pytest.mark.parametrize(
    ("query", "field"),
    [({"since": "yesterday"}, "since"), ({"since": "2026-04-02", "until": "2026-04-01"}, "until")],
)
def test_a_bad_date_is_a_400_with_the_field(alice, query, field):
    response = client_for(alice).get(ME, query, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert field in response.json()


def test_the_export_runs_the_same_queries_for_many_entries_as_for_one(alice, bob, alice_team):
    def add(day: date) -> None:
        PainEntryFactory(patient=alice, recorded_at=local(day, 9))
        PegAssessmentFactory(patient=alice, recorded_at=local(day, 9))
        SleepEntryFactory(patient=alice, night_of=day)
        UseEntryFactory(patient=alice, taken_at=local(day, 9))

    def queries(user, url) -> int:
        client = client_for(user)
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    add(date(2026, 3, 1))
    few = (queries(alice, ME), queries(bob, of_patient(alice)))
    for offset in range(1, 20):
        add(date(2026, 3, 1) + timedelta(days=offset))
    many = (queries(alice, ME), queries(bob, of_patient(alice)))

    assert many == few


def test_every_seed_demo_patients_bundle_validates_for_their_clinician(db, frozen_now):
    from patients.demo import PERSONAS, demo_seed
    from patients.models import CareTeamMembership, User

    demo_seed(now=frozen_now)

    for persona in PERSONAS:
        patient = User.objects.get(email=persona.email)
        membership = CareTeamMembership.objects.filter(patient=patient).first()
        response = client_for(membership.clinician).get(of_patient(patient))
        assert response.status_code == 200
        bundle = Bundle.model_validate_json(response.content)
        assert len(bundle.entry) > 1
