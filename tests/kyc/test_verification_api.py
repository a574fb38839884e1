"""Restarting processing and reading a document's status timeline."""

import pytest

from kyc.models import Document
from kyc.services import transition_document
from tests.kyc.uploads import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploaded(alice_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("card.jpg", image_bytes(), content_type="image/jpeg")
    response = alice_api.post(
        "/api/v1/documents", {"doc_type": "KTP", "file": file, "consent": "true"}, format="multipart"
    )
    return Document.objects.get(pk=response.json()["id"])


def test_evaluate_sends_an_uploaded_document_to_processing(alice_api, uploaded):
    assert uploaded.status == "uploaded"  # on_commit did not run inside the test transaction
    response = alice_api.post(
        "/api/v1/verification/evaluate", {"document_id": str(uploaded.id)}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["status"] == "processing"
    uploaded.refresh_from_db()
    assert uploaded.status == "processing"


def test_evaluate_restarts_a_failed_document(alice_api, uploaded):
    transition_document(document_id=uploaded.id, apply=lambda d: d.start_processing(), actor_kind="system")
    transition_document(document_id=uploaded.id, apply=lambda d: d.fail("unreadable"), actor_kind="system")
    response = alice_api.post(
        "/api/v1/verification/evaluate", {"document_id": str(uploaded.id)}, format="json"
    )
    assert response.status_code == 202
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.attempts, uploaded.failure_reason) == ("processing", 2, "")


def test_evaluate_is_409_for_a_document_already_processing(alice_api, uploaded):
    transition_document(document_id=uploaded.id, apply=lambda d: d.start_processing(), actor_kind="system")
    response = alice_api.post(
        "/api/v1/verification/evaluate", {"document_id": str(uploaded.id)}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert uploaded.transitions.count() == 2


def test_evaluate_refuses_a_malformed_id(alice_api):
    response = alice_api.post("/api/v1/verification/evaluate", {"document_id": "nope"}, format="json")
    assert response.status_code == 400


def test_status_shows_the_timeline_from_the_audit_trail(alice_api, uploaded, alice):
    alice_api.post("/api/v1/verification/evaluate", {"document_id": str(uploaded.id)}, format="json")
    body = alice_api.get(f"/api/v1/verification/status/{uploaded.id}").json()
    assert body["status"] == "processing"
    assert [(step["from_status"], step["to_status"]) for step in body["timeline"]] == [
        ("", "uploaded"),
        ("uploaded", "processing"),
    ]
    trail = list(uploaded.transitions.values_list("actor_kind", "actor_id"))
    assert trail == [("user", str(alice.id)), ("user", str(alice.id))]


def test_status_cannot_be_assigned_directly(uploaded):
    with pytest.raises(AttributeError):
        uploaded.status = "approved"
