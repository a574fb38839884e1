"""Bodies a client can send to make a server fail: each is a 4xx with the JSON error
shape on every endpoint, and changes nothing. Never a 500."""

import io
import json
import time
import uuid

import pytest

from kyc.models import Document, Profile, User
from reviews.models import ReviewEvent
from reviews.signing import sign_callback
from tests.kyc.uploads import image_bytes
from tests.reviews.conftest import SIGNATURE_SECRET, buli2_settings, needs_review  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

NESTED = '{"email": ' + "[" * 1000 + "]" * 1000 + ', "password": "x"}'
SOMEWHAT_NESTED = '{"email": ' + "[" * 40 + "]" * 40 + "}"
JSON_ENDPOINTS = [
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/token/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/password"),
    ("put", "/api/v1/profile"),
    ("post", "/api/v1/verification/evaluate"),
]


def assert_error_shape(response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "details"} <= set(body["error"])


def state() -> tuple:
    return (
        User.objects.count(),
        list(Profile.objects.values_list("full_name", "phone")),
        Document.objects.count(),
        ReviewEvent.objects.count(),
    )


@pytest.mark.parametrize("body", [NESTED, SOMEWHAT_NESTED], ids=["1000-deep", "40-deep"])
@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400_everywhere(alice_api, method, path, body):
    before = state()

    response = getattr(alice_api, method)(path, body, content_type="application/json")

    assert_error_shape(response, 400)
    assert state() == before


@pytest.mark.parametrize("body", [NESTED, SOMEWHAT_NESTED], ids=["1000-deep", "40-deep"])
def test_a_signed_deeply_nested_callback_is_a_400(client, buli2_settings, needs_review, body):  # noqa: F811
    raw, timestamp = body.encode(), str(int(time.time()))
    before = state()

    response = client.generic(
        "POST",
        "/api/v1/reviews/callback",
        raw,
        content_type="application/json",
        HTTP_X_BULI2_TIMESTAMP=timestamp,
        HTTP_X_BULI2_SIGNATURE=sign_callback(secret=SIGNATURE_SECRET, timestamp=timestamp, body=raw),
    )

    assert_error_shape(response, 400)
    assert state() == before


def jpeg(name: str = "card.jpg") -> io.BytesIO:
    file = io.BytesIO(image_bytes())
    file.name = name
    return file


@pytest.mark.parametrize(
    "body",
    [
        {"doc_type": "KTP", "file": [jpeg("a.jpg"), jpeg("b.jpg")]},
        {"doc_type": "KTP", "file": jpeg(), "other": jpeg("c.jpg")},
        {"doc_type": "KTP", "file": jpeg(), **{f"field{n}": "x" for n in range(60)}},
    ],
    ids=["two-files-one-name", "two-file-parts", "sixty-fields"],
)
def test_uploads_with_extra_files_or_too_many_fields_are_a_400(alice_api, body):
    response = alice_api.post("/api/v1/documents", body, format="multipart")

    assert_error_shape(response, 400)
    assert Document.objects.count() == 0


@pytest.mark.parametrize(("method", "path"), [*JSON_ENDPOINTS, ("post", "/api/v1/documents")])
def test_too_many_form_fields_is_a_400_on_every_endpoint(alice_api, method, path):
    body = {f"field{n}": "x" for n in range(60)}

    response = getattr(alice_api, method)(path, body, format="multipart")

    assert_error_shape(response, 400, 415)
    assert Document.objects.count() == 0


def test_a_body_over_the_size_limit_is_a_413_with_the_error_shape(alice_api, settings):
    big = json.dumps({"full_name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})

    response = alice_api.put("/api/v1/profile", big, content_type="application/json")

    assert_error_shape(response, 413)


def test_an_unknown_api_route_answers_json_even_with_debug_on(client, settings):
    settings.DEBUG = True

    response = client.get(f"/api/v1/no-such-thing/{uuid.uuid4()}")

    assert_error_shape(response, 404)
    assert response["Content-Type"].startswith("application/json")
