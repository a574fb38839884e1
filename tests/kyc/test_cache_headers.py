"""Every authenticated API response says `Cache-Control: no-store`: they carry personal
data and tokens, and a shared cache or a browser's back button must not keep them."""

import pytest

from kyc.models import Status
from tests.factories import document_row

pytestmark = pytest.mark.django_db


def test_every_authenticated_response_is_no_store(alice_api, alice):
    document = document_row(alice, status=Status.UPLOADED)
    responses = {
        "profile": alice_api.get("/api/v1/profile"),
        "profile put": alice_api.put(
            "/api/v1/profile", {"full_name": "Alice", "date_of_birth": None}, format="json"
        ),
        "documents": alice_api.get("/api/v1/documents"),
        "document": alice_api.get(f"/api/v1/documents/{document.id}"),
        "status": alice_api.get(f"/api/v1/verification/status/{document.id}"),
        "evaluate": alice_api.post(
            "/api/v1/verification/evaluate", {"document_id": str(document.id)}, format="json"
        ),
        "an error": alice_api.get("/api/v1/documents/00000000-0000-4000-8000-000000000000"),
    }

    for name, response in responses.items():
        assert response.status_code < 500, (name, response.content)
        assert "no-store" in response["Cache-Control"], name


def test_token_answers_are_no_store_too(api, alice):
    from tests.conftest import PASSWORD

    response = api.post("/api/v1/auth/token", {"email": alice.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
