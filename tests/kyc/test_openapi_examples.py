"""The OpenAPI document: every operation has an example, every example fits its schema,
enumerations are named, webhook verification is described, and it validates."""

import copy

import jsonschema
import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document():
    from django.test import Client

    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def as_json_schema(schema: object, components: dict, depth: int = 0) -> object:
    """OpenAPI 3.0 schema -> JSON Schema: `$ref` resolved, `nullable` as a null type."""
    assert depth < 30
    if isinstance(schema, list):
        return [as_json_schema(item, components, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return as_json_schema(components[schema["$ref"].rsplit("/", 1)[1]], components, depth + 1)
    converted = {key: as_json_schema(value, components, depth + 1) for key, value in schema.items()}
    for key in ("readOnly", "writeOnly", "format", "example", "description"):
        converted.pop(key, None)
    if converted.pop("nullable", False):
        converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def examples_of(document: dict):
    components = document["components"]["schemas"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            medias = [
                ("request", media)
                for media in (operation.get("requestBody") or {}).get("content", {}).values()
            ]
            for status, response in operation["responses"].items():
                medias += [(status, media) for media in (response.get("content") or {}).values()]
            for where, media in medias:
                schema = as_json_schema(copy.deepcopy(media.get("schema", {})), components)
                for name, example in (media.get("examples") or {}).items():
                    yield f"{method.upper()} {path} {where} {name}", example["value"], schema


def test_every_operation_has_an_example(document):
    missing = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            medias = list((operation.get("requestBody") or {}).get("content", {}).values())
            for response in operation["responses"].values():
                medias += list((response.get("content") or {}).values())
            if not any(media.get("examples") for media in medias):
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_every_example_fits_its_schema(document):
    checked = 0
    for where, value, schema in examples_of(document):
        if schema:
            errors = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(value)]
            assert errors == [], where
            checked += 1
    assert checked >= 25


def test_statuses_decisions_reason_codes_and_events_are_enumerations_and_webhooks_are_described(document):
    schemas = document["components"]["schemas"]
    assert "resubmission_requested" in schemas["DocumentStatusEnum"]["enum"]
    assert set(schemas["ApplicantStatusEnum"]["enum"]) == {
        "pending",
        "action_required",
        "verified",
        "rejected",
    }
    assert "auto_approved" in schemas["DecisionEnum"]["enum"]
    assert {"image_glare", "name_mismatch", "card_unreadable"} <= set(schemas["ReasonCodeEnum"]["enum"])
    assert set(schemas["WebhookEventEnum"]["enum"]) == {
        "document.decided", "document.needs_review", "document.failed", "applicant.status_changed",
    }  # fmt: skip
    assert document["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
    }  # fmt: skip
    description = document["info"]["description"]
    assert "webhook-signature" in description and "standardwebhooks" in description
