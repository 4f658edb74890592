"""GET/PUT /api/v1/patients/{id}/thresholds/: the care team's overrides (issue 4)."""

from decimal import Decimal
from typing import Any

import pytest

from journals.models import ClinicThresholds, PatientThresholds
from journals.thresholds import CLINICAL_DEFAULTS, THRESHOLD_FIELDS
from patients import services as patient_services
from patients.models import AuditEvent, User
from tests.conftest import client_for

NO_OVERRIDES = dict.fromkeys(THRESHOLD_FIELDS)
DEFAULTS_AS_JSON = {
    "co_use_window_hours": 6,
    "single_dose_g": 5.0,
    "daily_total_g": 15.0,
    "escalation_ratio": 1.5,
    "escalation_min_increase_g": 2.0,
    "frequent_doses_per_day": 3,
    "pain_rise_points": 2.0,
    "pain_high": 9,
    "poor_sleep_efficiency_pct": 85.0,
    "poor_sleep_total_min": 300,
    "stopped_logging_days": 3,
}


def url(patient: User) -> str:
    return f"/api/v1/patients/{patient.pk}/thresholds/"


@pytest.fixture
def bob_client(bob: User, alice_team: Any) -> Any:
    return client_for(bob)


def test_without_overrides_every_value_is_null_and_the_defaults_are_in_effect(bob_client, alice):
    response = bob_client.get(url(alice))

    assert response.status_code == 200
    assert response.json() == {
        **NO_OVERRIDES,
        "effective": DEFAULTS_AS_JSON,
        "clinic_defaults": DEFAULTS_AS_JSON,
    }


def test_reading_creates_no_overrides(bob_client, alice):
    bob_client.get(url(alice))

    assert not PatientThresholds.objects.exists()


def test_the_defaults_list_every_threshold(bob_client, alice):
    assert set(DEFAULTS_AS_JSON) == set(THRESHOLD_FIELDS)
    assert DEFAULTS_AS_JSON["single_dose_g"] == float(CLINICAL_DEFAULTS.single_dose_g)


def test_a_clinics_own_defaults_show_as_clinic_defaults_and_in_effect(bob_client, alice, riverside):
    ClinicThresholds.objects.create(clinic=riverside, daily_total_g=Decimal(20))

    body = bob_client.get(url(alice)).json()

    assert body["clinic_defaults"]["daily_total_g"] == 20.0
    assert body["effective"]["daily_total_g"] == 20.0
    assert body["daily_total_g"] is None


def test_put_stores_overrides_and_shows_them_in_effect(bob_client, bob, alice):
    response = bob_client.put(url(alice), {"single_dose_g": 4.5, "pain_high": 8})

    assert response.status_code == 200
    body = response.json()
    assert body["single_dose_g"] == 4.5
    assert body["pain_high"] == 8
    assert body["daily_total_g"] is None
    assert body["effective"] == {**DEFAULTS_AS_JSON, "single_dose_g": 4.5, "pain_high": 8}
    assert body["clinic_defaults"] == DEFAULTS_AS_JSON
    stored = PatientThresholds.objects.get(pk=alice.pk)
    assert (stored.single_dose_g, stored.pain_high, stored.updated_by) == (Decimal("4.5"), 8, bob)


def test_put_replaces_every_override_null_or_left_out_is_the_clinic_default(bob_client, alice):
    bob_client.put(url(alice), {"single_dose_g": 4.5, "pain_high": 8})

    body = bob_client.put(url(alice), {"single_dose_g": None, "escalation_ratio": 2}).json()

    assert body == {
        **NO_OVERRIDES,
        "escalation_ratio": 2.0,
        "effective": {**DEFAULTS_AS_JSON, "escalation_ratio": 2.0},
        "clinic_defaults": DEFAULTS_AS_JSON,
    }


def test_get_shows_the_stored_overrides(bob_client, alice):
    bob_client.put(url(alice), {"stopped_logging_days": 7})

    assert bob_client.get(url(alice)).json()["stopped_logging_days"] == 7


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("co_use_window_hours", 0),
        ("co_use_window_hours", 49),
        ("single_dose_g", 0.05),
        ("single_dose_g", 51),
        ("escalation_ratio", 1),
        ("frequent_doses_per_day", 1),
        ("pain_high", 11),
        ("poor_sleep_efficiency_pct", 101),
        ("poor_sleep_total_min", 29),
        ("stopped_logging_days", 61),
        ("single_dose_g", 4.555),
        ("pain_high", "high"),
    ],
)
def test_a_value_out_of_range_is_a_400_and_nothing_is_stored(bob_client, alice, field, value):
    response = bob_client.put(url(alice), {"pain_high": 8, field: value})

    assert response.status_code == 400
    assert field in response.json()
    assert not PatientThresholds.objects.exists()


def test_a_bad_value_leaves_earlier_overrides_as_they_were(bob_client, alice):
    bob_client.put(url(alice), {"pain_high": 8})

    bob_client.put(url(alice), {"pain_high": 0, "single_dose_g": 3})

    stored = PatientThresholds.objects.get(pk=alice.pk)
    assert (stored.pain_high, stored.single_dose_g) == (8, None)


def test_a_patient_gets_403(alice):
    client = client_for(alice)

    assert client.get(url(alice)).status_code == 403
    assert client.put(url(alice), {"pain_high": 8}).status_code == 403
    assert not PatientThresholds.objects.exists()


def test_a_clinician_outside_the_care_team_gets_404(carol, alice):
    client = client_for(carol)

    assert client.get(url(alice)).status_code == 404
    assert client.put(url(alice), {"pain_high": 8}).status_code == 404
    assert not PatientThresholds.objects.exists()


def test_after_consent_is_revoked_the_thresholds_are_404(bob_client, alice, alice_team):
    patient_services.care_team_revoke(membership=alice_team)

    assert bob_client.get(url(alice)).status_code == 404
    assert bob_client.put(url(alice), {"pain_high": 8}).status_code == 404
    assert not PatientThresholds.objects.exists()


def test_an_unknown_patient_is_404(bob_client):
    missing = "6f1c1d2e-8b5a-4c3e-9d7f-0a1b2c3d4e5f"

    assert bob_client.get(f"/api/v1/patients/{missing}/thresholds/").status_code == 404


def test_a_read_is_audited_once(bob_client, bob, alice):
    bob_client.get(url(alice))

    assert AuditEvent.objects.filter(actor=bob, patient=alice).count() == 1
