"""Nothing that may carry patient data is kept by a browser or a shared cache: every answer to
a signed-in user and every API answer says ``no-store, private``; static files stay cacheable."""

import pytest
from django.test import Client

from tests.conftest import client_for
from tests.factories import PainEntryFactory


def never_stored(response) -> bool:
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= cache_control


@pytest.mark.parametrize(
    "path", ["/today/", "/history/", "/trends/", "/settings/", "/no-such-page/", "/signin/"]
)
def test_every_page_for_a_signed_in_patient_is_never_stored(alice, path):
    PainEntryFactory(patient=alice)

    assert never_stored(client_for(alice).get(path))


@pytest.mark.parametrize("path", ["/clinic/", "/clinic/patients/{alice}/"])
def test_every_page_for_a_signed_in_clinician_is_never_stored(alice, bob, alice_team, path):
    response = client_for(bob).get(path.format(alice=alice.pk))

    assert response.status_code == 200
    assert never_stored(response)


def test_a_redirect_after_a_form_for_a_signed_in_user_is_never_stored(alice):
    response = client_for(alice).post("/signout/")

    assert response.status_code == 302
    assert never_stored(response)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me/", "/api/v1/pain-entries/", "/api/v1/care-team/", "/api/v1/no-such-endpoint/"],
)
def test_every_api_answer_to_a_patient_is_never_stored(alice, path):
    PainEntryFactory(patient=alice)

    assert never_stored(client_for(alice).get(path))


def test_an_api_answer_to_a_token_caller_is_never_stored(alice):
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(alice)
    response = Client().get("/api/v1/pain-entries/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert never_stored(response)


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/schema/", "/api/v1/docs/"])
def test_every_api_answer_even_anonymous_is_never_stored(db, path):
    assert never_stored(Client().get(path))


def test_a_static_file_stays_cacheable_for_a_signed_in_user(alice):
    response = client_for(alice).get("/static/css/mitra.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
