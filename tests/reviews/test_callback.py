"""POST /api/v1/reviews/callback: BULI2's signed decisions."""

import json
import time
import uuid

import pytest

from kyc.models import DocumentTransition
from reviews import services
from reviews.models import ManualReview, ReviewEvent
from reviews.signing import sign_callback
from tests.reviews.conftest import SIGNATURE_SECRET

pytestmark = pytest.mark.django_db
URL = "/api/v1/reviews/callback"


def payload(review, **changes) -> dict:
    return {
        "event_id": "evt-0001",
        "review_id": str(review.id),
        "decision": "approve",
        "reason": "Checked by BULI2 reviewer 17",
        **changes,
    }


def post(
    client, body: dict | bytes, *, secret=SIGNATURE_SECRET, timestamp=None, signature=None, headers=True
):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    extra = {}
    if headers:
        extra = {
            "HTTP_X_BULI2_TIMESTAMP": timestamp,
            "HTTP_X_BULI2_SIGNATURE": signature
            or sign_callback(secret=secret, timestamp=timestamp, body=raw),
        }
    return client.generic("POST", URL, raw, content_type="application/json", **extra)


def snapshot(document) -> tuple:
    review = ManualReview.objects.get(document=document)
    document.refresh_from_db()
    return (
        document.status,
        review.state,
        review.decision,
        ReviewEvent.objects.filter(review=review).count(),
        DocumentTransition.objects.filter(document=document).count(),
    )


def test_a_validly_signed_decision_approves_the_document(buli2_settings, client, needs_review):
    review = needs_review.manual_review
    response = post(client, payload(review))
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "review_id": str(review.id),
        "state": "completed",
        "decision": "approve",
        "document_status": "approved",
        "replayed": False,
    }
    review = ManualReview.objects.get(pk=review.pk)
    assert (review.decided_by_kind, review.reason) == ("buli2", "Checked by BULI2 reviewer 17")
    last = DocumentTransition.objects.filter(document=needs_review).last()
    assert (last.to_status, last.actor_kind) == ("approved", "buli2")
    assert ReviewEvent.objects.get(external_event_id="evt-0001").action == "completed"


def test_a_replayed_event_answers_200_and_changes_nothing(buli2_settings, client, needs_review):
    review = needs_review.manual_review
    body = json.dumps(payload(review, decision="reject")).encode()
    timestamp = str(int(time.time()))
    first = post(client, body, timestamp=timestamp)
    assert first.status_code == 200
    before = snapshot(needs_review)
    again = post(client, body, timestamp=timestamp)  # the very same request
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["document_status"] == "rejected"
    resent = post(client, body, timestamp=int(timestamp) + 60)  # BULI2 re-sends it, signed anew
    assert resent.status_code == 200
    assert resent.json()["replayed"] is True
    assert snapshot(needs_review) == before


@pytest.mark.parametrize(
    "case",
    [
        "wrong-secret",
        "tampered-body",
        "no-headers",
        "not-a-timestamp",
        "stale",
        "from-the-future",
        "no-prefix",
    ],
)
def test_a_bad_missing_or_stale_signature_is_401_and_changes_nothing(
    buli2_settings, client, needs_review, case
):
    review = needs_review.manual_review
    before = snapshot(needs_review)
    body = json.dumps(payload(review)).encode()
    now = int(time.time())
    if case == "wrong-secret":
        response = post(client, body, secret="another-secret-that-is-long-enough-000")
    elif case == "tampered-body":
        signature = sign_callback(secret=SIGNATURE_SECRET, timestamp=now, body=body)
        response = post(client, body.replace(b"approve", b"reject"), timestamp=now, signature=signature)
    elif case == "no-headers":
        response = post(client, body, headers=False)
    elif case == "not-a-timestamp":
        response = post(client, body, timestamp="yesterday")
    elif case == "stale":
        response = post(client, body, timestamp=now - 301)
    elif case == "from-the-future":
        response = post(client, body, timestamp=now + 301)
    else:
        signature = sign_callback(secret=SIGNATURE_SECRET, timestamp=now, body=body).removeprefix("sha256=")
        response = post(client, body, timestamp=now, signature=signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert "X-Buli2-Signature" in response["WWW-Authenticate"]
    assert snapshot(needs_review) == before


def test_without_a_configured_secret_every_callback_is_401(buli2_settings, client, needs_review):
    buli2_settings.BULI2_SIGNATURE_SECRET = ""
    response = post(client, payload(needs_review.manual_review), secret="")
    assert response.status_code == 401


def test_an_unknown_review_is_404(buli2_settings, client, needs_review):
    response = post(client, payload(needs_review.manual_review, review_id=str(uuid.uuid4())))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "maybe"},
        {"reason": ""},
        {"extra": "field"},
        {"event_id": "has spaces"},
        {"review_id": "not-a-uuid"},
    ],
    ids=["decision", "empty-reason", "unknown-field", "event-id", "review-id"],
)
def test_a_signed_but_invalid_payload_is_400(buli2_settings, client, needs_review, body):
    before = snapshot(needs_review)
    response = post(client, payload(needs_review.manual_review, **body))
    assert response.status_code == 400
    assert snapshot(needs_review) == before


def test_a_signed_body_that_is_not_json_is_400(buli2_settings, client, needs_review):
    assert post(client, b"\xff{not json").status_code == 400
    assert post(client, b"[1, 2]").status_code == 400


def test_a_decision_the_state_does_not_allow_is_409_and_changes_nothing(
    buli2_settings, client, needs_review, rita_reviewer
):
    review = needs_review.manual_review
    services.claim_review(review_id=review.id, user=rita_reviewer)
    before = snapshot(needs_review)
    response = post(client, payload(review))
    assert response.status_code == 409
    assert snapshot(needs_review) == before
    # Decided in the admin, then BULI2 says otherwise: a conflict, not a change.
    services.complete_manual_review(
        review_id=review.id, decision="reject", reason="Forged", actor=services.Actor.reviewer(rita_reviewer)
    )
    before = snapshot(needs_review)
    response = post(client, payload(review, event_id="evt-0002"))
    assert response.status_code == 409
    assert snapshot(needs_review) == before
    assert not ReviewEvent.objects.filter(external_event_id="evt-0002").exists()


def test_the_schema_documents_the_headers_and_the_statuses(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/reviews/callback"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Buli2-Timestamp", "X-Buli2-Signature"}
    assert {"200", "400", "401", "404", "409"} <= set(operation["responses"])
    assert "HMAC-SHA256" in operation["description"]
