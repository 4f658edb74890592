"""Request limits: bodies over DATA_UPLOAD_MAX_MEMORY_SIZE answer 413 (never 500) and change
nothing; too many form fields answer 400; the API's page size is capped at 200."""

import json

import pytest
from django.conf import settings
from django.test import Client

from config.rest import Pagination
from journals.models import PainEntry
from tests.conftest import client_for
from tests.factories import PainEntryFactory
from tests.journals.helpers import pain_body


def test_the_body_limit_is_small_but_fits_any_real_entry():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 256 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 500


def test_a_too_large_json_body_to_the_api_answers_413_and_saves_nothing(alice):
    body = json.dumps(pain_body(note="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)))

    response = client_for(alice).post(
        "/api/v1/pain-entries/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert not PainEntry.objects.exists()


def test_a_json_body_just_under_the_limit_reaches_validation(alice):
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 1000)
    body = json.dumps(pain_body(note=filler))

    response = client_for(alice).post(
        "/api/v1/pain-entries/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert "note" in response.json()


def test_a_too_large_json_patch_answers_413_and_changes_nothing(alice):
    entry = PainEntryFactory(patient=alice, note="before")
    body = json.dumps({"note": "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = client_for(alice).patch(
        f"/api/v1/pain-entries/{entry.pk}/", body, content_type="application/json"
    )

    assert response.status_code == 413
    entry.refresh_from_db()
    assert entry.note == "before"


def test_a_too_large_token_request_answers_413(db):
    body = json.dumps({"email": "a@example.org", "password": "p" * 300_000})

    response = Client().post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 413


def test_a_too_large_form_to_a_page_answers_413(alice):
    response = client_for(alice).post(
        "/settings/", {"display_name": "z" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    )

    assert response.status_code == 413


def test_too_many_form_fields_to_a_page_answer_400(alice):
    fields = {f"field{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = client_for(alice).post("/settings/", fields)

    assert response.status_code == 400


def test_too_many_form_fields_to_the_api_answer_400(alice):
    fields = {f"field{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = client_for(alice).post("/api/v1/pain-entries/", fields, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
    assert not PainEntry.objects.exists()


def test_the_page_size_is_capped_at_200():
    assert Pagination.max_page_size == 200
    assert Pagination.page_size == 50


def test_asking_for_a_larger_page_gets_200_rows_and_a_next_link(alice):
    PainEntryFactory.create_batch(201, patient=alice)

    body = client_for(alice).get("/api/v1/pain-entries/?page_size=100000").json()

    assert body["count"] == 201
    assert len(body["results"]) == 200
    assert body["next"] is not None


@pytest.mark.parametrize("page_size", ["0", "-5", "abc"])
def test_a_nonsense_page_size_falls_back_to_the_default(alice, page_size):
    PainEntryFactory.create_batch(51, patient=alice)

    response = client_for(alice).get(f"/api/v1/pain-entries/?page_size={page_size}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 50
