"""The OpenAPI document is valid and describes every endpoint, its enums and errors."""

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from journals.choices import Form, MixedWith, Reason, Substance, Unit

PUBLIC_OPERATIONS = {("/api/v1/auth/token/", "post"), ("/api/v1/schema/", "get")}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_is_valid_openapi_3(schema):
    validate_schema(schema)


def test_schema_is_served_to_anyone(api, db):
    response = api.get("/api/v1/schema/")

    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


def test_docs_page_loads_nothing_from_the_internet(api, db):
    page = api.get("/api/v1/docs/").content.decode()

    assert "swagger-ui" in page
    assert "cdn." not in page
    assert "//unpkg" not in page


@pytest.mark.parametrize(
    ("enum", "choices"),
    [
        ("SubstanceEnum", Substance),
        ("UnitEnum", Unit),
        ("FormEnum", Form),
        ("MixedWithEnum", MixedWith),
        ("ReasonEnum", Reason),
    ],
)
def test_enums_carry_the_clinical_vocabulary(schema, enum, choices):
    assert schema["components"]["schemas"][enum]["enum"] == choices.values


def test_every_protected_operation_documents_401(schema):
    missing = [
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if (path, method) not in PUBLIC_OPERATIONS
        and path != "/api/v1/docs/"
        and "401" not in operation["responses"]
    ]
    assert missing == []


def test_every_operation_on_an_object_documents_404(schema):
    missing = [
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "{" in path and "404" not in operation["responses"]
    ]
    assert missing == []


def test_entry_create_documents_replay_and_conflict(schema):
    responses = schema["paths"]["/api/v1/use-entries/"]["post"]["responses"]

    assert {"200", "201", "400", "409"} <= responses.keys()
    body = responses["400"]["content"]["application/json"]["schema"]
    assert body["type"] == "object"
    assert body["additionalProperties"]["oneOf"][0] == {
        "type": "array",
        "items": {"type": "string"},
    }
