"""GET/POST /api/v1/patients/{id}/reviews/: "reviewed up to now", notes for the care team."""

from datetime import timedelta
from typing import Any

import pytest

from journals.models import Review
from patients import services as patient_services
from patients.models import AuditEvent, User
from tests.conftest import client_for
from tests.factories import ClinicianFactory, MembershipFactory
from tests.journals.helpers import NOW, ids

pytestmark = pytest.mark.usefixtures("frozen_now")


def url(patient: User) -> str:
    return f"/api/v1/patients/{patient.pk}/reviews/"


@pytest.fixture
def bob_client(bob: User, alice_team: Any) -> Any:
    return client_for(bob)


def test_marking_reviewed_answers_201_with_the_review(bob_client, bob, alice):
    response = bob_client.post(url(alice), {"note": "  Discussed tapering.  "})

    assert response.status_code == 201
    review = Review.objects.get()
    assert response.json() == {
        "id": str(review.pk),
        "patient": str(alice.pk),
        "clinician": {"id": str(bob.pk), "display_name": "Dr Bob"},
        "reviewed_at": "2026-04-02T12:00:00Z",
        "note": "Discussed tapering.",
    }
    assert (review.patient, review.clinician, review.reviewed_at) == (alice, bob, NOW)


def test_the_note_is_optional(bob_client, alice):
    response = bob_client.post(url(alice), {})

    assert response.status_code == 201
    assert response.json()["note"] == ""


def test_a_note_over_2000_characters_is_a_400_and_nothing_is_stored(bob_client, alice):
    response = bob_client.post(url(alice), {"note": "x" * 2001})

    assert response.status_code == 400
    assert "note" in response.json()
    assert not Review.objects.exists()


def test_the_list_is_newest_first(bob_client, bob, alice):
    older = Review.objects.create(patient=alice, clinician=bob, reviewed_at=NOW - timedelta(days=2))
    newer = Review.objects.create(patient=alice, clinician=bob, reviewed_at=NOW - timedelta(days=1))

    response = bob_client.get(url(alice))

    assert response.status_code == 200
    assert ids(response) == [str(newer.pk), str(older.pk)]


def test_the_list_is_paginated(bob_client, bob, alice):
    for days in range(3):
        Review.objects.create(patient=alice, clinician=bob, reviewed_at=NOW - timedelta(days=days))

    body = bob_client.get(url(alice), {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None


def test_the_list_shows_only_that_patients_reviews(bob_client, bob, alice, erin, erin_team):
    own = Review.objects.create(patient=alice, clinician=bob)
    Review.objects.create(patient=erin, clinician=bob)

    assert ids(bob_client.get(url(alice))) == [str(own.pk)]


def test_another_clinician_on_the_care_team_reads_the_note(bob_client, alice, riverside):
    bob_client.post(url(alice), {"note": "For the team."})
    colleague = ClinicianFactory(clinic=riverside)
    MembershipFactory(patient=alice, clinician=colleague)

    body = client_for(colleague).get(url(alice)).json()

    assert [r["note"] for r in body["results"]] == ["For the team."]


def test_a_patient_gets_403(alice, bob, alice_team):
    Review.objects.create(patient=alice, clinician=bob, note="Private.")
    client = client_for(alice)

    assert client.get(url(alice)).status_code == 403
    assert client.post(url(alice), {}).status_code == 403
    assert Review.objects.count() == 1


def test_a_clinician_outside_the_care_team_gets_404(carol, alice):
    client = client_for(carol)

    assert client.get(url(alice)).status_code == 404
    assert client.post(url(alice), {"note": "x"}).status_code == 404
    assert not Review.objects.exists()


def test_a_clinician_of_another_clinic_gets_404_even_with_a_stale_membership(dave, alice):
    MembershipFactory(patient=alice, clinician=dave)

    assert client_for(dave).get(url(alice)).status_code == 404


def test_after_consent_is_revoked_the_reviews_are_404(bob_client, bob, alice, alice_team):
    Review.objects.create(patient=alice, clinician=bob)
    patient_services.care_team_revoke(membership=alice_team)

    assert bob_client.get(url(alice)).status_code == 404
    assert bob_client.post(url(alice), {}).status_code == 404
    assert Review.objects.count() == 1


def test_a_read_is_audited_once(bob_client, bob, alice):
    Review.objects.create(patient=alice, clinician=bob)

    bob_client.get(url(alice))

    assert AuditEvent.objects.filter(actor=bob, patient=alice, object_type="review").count() == 1
