"""Security headers on every kind of answer: a page, an API response, a 404 (page and API),
and a static file; the Content-Security-Policy allows no inline script or style."""

import pytest
from django.test import Client

from tests.conftest import client_for

POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "form-action": "'self'",
}
# (who, path, status): who is None (anonymous), "alice" or "bob".
ANSWERS = [
    pytest.param(None, "/signin/", 200, id="page-anonymous"),
    pytest.param("alice", "/today/", 200, id="page-patient"),
    pytest.param("bob", "/clinic/", 200, id="page-clinician"),
    pytest.param("alice", "/api/v1/me/", 200, id="api"),
    pytest.param(None, "/api/v1/me/", 401, id="api-anonymous"),
    pytest.param("alice", "/no-such-page/", 404, id="page-404"),
    pytest.param("alice", "/api/v1/no-such-endpoint/", 404, id="api-404"),
    pytest.param(None, "/static/css/mitra.css", 200, id="static"),
]


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: (rest[0] if rest else "") for name, *rest in parts}


@pytest.fixture
def answer(request, alice, bob, alice_team):
    def get(who: str | None, path: str):
        user = {"alice": alice, "bob": bob, None: None}[who]
        return client_for(user).get(path)

    return get


@pytest.mark.parametrize(("who", "path", "status"), ANSWERS)
def test_every_answer_carries_a_csp_without_inline_script_or_style(answer, who, path, status):
    response = answer(who, path)

    assert response.status_code == status
    policy = directives(response["Content-Security-Policy"])
    assert {name: policy.get(name) for name in POLICY} == POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(("who", "path", "status"), ANSWERS)
def test_every_answer_refuses_framing(answer, who, path, status):
    assert answer(who, path)["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("who", "path", "status"), ANSWERS)
def test_every_answer_forbids_content_sniffing(answer, who, path, status):
    assert answer(who, path)["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("who", "path", "status"), ANSWERS)
def test_every_answer_keeps_the_referrer_on_this_site(answer, who, path, status):
    assert answer(who, path)["Referrer-Policy"] == "same-origin"


def test_the_api_docs_page_loads_its_start_up_script_from_this_site(db):
    client = Client()
    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/?script=")

    assert page.status_code == script.status_code == 200
    html = page.content.decode()
    assert '<script src="/api/v1/docs/?script="></script>' in html
    assert "SwaggerUIBundle(" not in html  # no inline start-up script
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def test_the_api_docs_page_alone_allows_inline_style_and_data_images(db):
    policy = directives(Client().get("/api/v1/docs/")["Content-Security-Policy"])

    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
