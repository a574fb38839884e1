"""Forwarding reviews to BULI2, against a fake BULI2 HTTP server on 127.0.0.1."""

import json
import time
from urllib.parse import urlsplit

import pytest

from reviews import buli2, services
from reviews.models import ManualReview
from reviews.tasks import forward_review

pytestmark = pytest.mark.django_db


def retry_count() -> float | None:
    try:
        from filot.metrics import BULI2_RETRY_COUNT
    except ImportError:
        return None
    return BULI2_RETRY_COUNT._value.get()


def test_a_review_is_forwarded_with_key_idempotency_key_and_a_signed_image_url(
    fake_buli2, needs_review, client
):
    review = needs_review.manual_review
    forward_review(str(review.id))  # the actor, run in this process
    assert len(fake_buli2.requests) == 1
    sent = fake_buli2.requests[0]
    assert sent["path"] == "/api/reviews"
    assert sent["headers"]["X-API-Key"] == "test-buli2-api-key-123"
    assert sent["headers"]["Idempotency-Key"] == f"filot-review-{review.id}"
    body = sent["json"]
    assert body["review_id"] == str(review.id)
    assert body["document_id"] == str(needs_review.id)
    assert (body["doc_type"], body["score"]) == ("KTP", 62)
    assert [reason["code"] for reason in body["reasons"]] == [r["code"] for r in needs_review.reasons]
    # Only what a reviewer needs: no value read off the card (the image URL carries the card).
    assert "fields" not in body
    assert body["fields_read"] == sorted(needs_review.ocr_result.fields)
    assert set(body["confidence"]) <= set(needs_review.ocr_result.fields)
    sent_values = json.dumps({key: value for key, value in body.items() if key != "image_url"})
    for value in needs_review.ocr_result.fields.values():
        if len(str(value)) >= 3:  # a blood type "A" is in any text
            assert str(value) not in sent_values, value
    assert body["idempotency_key"] == f"filot-review-{review.id}"
    review.refresh_from_db()
    assert (review.state, review.buli2_review_id, review.forward_error) == ("forwarded", "buli2-1", "")
    # The signed URL serves the image without any login, and a tampered one does not.
    image_path = urlsplit(body["image_url"]).path
    image = client.get(image_path)
    assert image.status_code == 200
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(image_path[:-2] + "xx").status_code == 404
    # Idempotent: a redelivered message sends nothing more.
    forward_review(str(review.id))
    assert len(fake_buli2.requests) == 1


def test_a_signed_image_url_expires(fake_buli2, needs_review, client, settings):
    settings.SIGNED_URL_SECONDS = 1
    url, _ = buli2.signed_image_url(document_id=str(needs_review.id), storage_key=needs_review.storage_key)
    time.sleep(2.1)
    assert client.get(urlsplit(url).path).status_code == 404


def test_429_is_retried_and_then_the_review_is_forwarded(fake_buli2, needs_review):
    fake_buli2.script = [429, 502]
    before = retry_count()
    review = services.forward_review(review_id=needs_review.manual_review.id)
    assert len(fake_buli2.requests) == 3
    assert review.state == "forwarded"
    assert buli2.breaker().current_state == "closed"
    if before is not None:
        assert retry_count() == before + 2


def test_503_is_retried_then_the_circuit_opens_and_the_review_stays_workable(
    fake_buli2, needs_review, rita_reviewer, client, log_output
):
    fake_buli2.default = 503
    review = needs_review.manual_review
    before = retry_count()
    with pytest.raises(buli2.Buli2Unavailable):
        services.forward_review(review_id=review.id)
    assert len(fake_buli2.requests) == 3  # BULI2_RETRY_ATTEMPTS, and the third failure trips the breaker
    assert buli2.breaker().current_state == "open"
    if before is not None:
        assert retry_count() == before + 2  # two waits between three attempts
    # Every retry and the failure are logged with the review's and the document's ids.
    lines = [line for line in log_output.getvalue().splitlines() if "buli2_retry" in line]
    lines += [line for line in log_output.getvalue().splitlines() if "review_forward_failed" in line]
    assert len(lines) == 3
    assert all(str(review.id) in line and str(needs_review.id) in line for line in lines)
    # While open, BULI2 is not called at all.
    with pytest.raises(buli2.CircuitOpen):
        services.forward_review(review_id=review.id)
    assert len(fake_buli2.requests) == 3
    ready = client.get("/health/ready").json()
    assert ready["checks"]["buli2"]["circuit"] == "open"
    assert ready["checks"]["buli2"]["ok"] is True  # BULI2 down does not make FiLot unready
    review.refresh_from_db()
    assert review.state == "open"
    assert "circuit open" in review.forward_error
    assert list(review.events.values_list("action", flat=True)) == [
        "opened",
        "forward_failed",
        "forward_failed",
    ]
    # A reviewer decides it in the admin meanwhile.
    services.claim_review(review_id=review.id, user=rita_reviewer)
    services.complete_manual_review(
        review_id=review.id,
        decision="reject",
        reason="Card photo of a screen",
        actor=services.Actor.reviewer(rita_reviewer),
    )
    needs_review.refresh_from_db()
    assert needs_review.status == "rejected"


def test_a_final_4xx_is_not_retried_and_does_not_count_against_the_circuit(fake_buli2, needs_review):
    fake_buli2.script = [422]
    with pytest.raises(buli2.Buli2Refused):
        services.forward_review(review_id=needs_review.manual_review.id)
    assert len(fake_buli2.requests) == 1
    assert buli2.breaker().fail_counter == 0


@pytest.mark.django_db(transaction=True)
def test_the_pipeline_signal_sends_the_actor_which_forwards_through_a_real_worker(fake_buli2, alice):
    import dramatiq

    from tests.reviews.documents import document_needing_review

    broker = dramatiq.get_broker()
    broker.flush("default")
    document = document_needing_review(alice)  # commits: on_commit sends the message
    worker = dramatiq.Worker(broker, queues={"default"}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if ManualReview.objects.get(document=document).state == "forwarded":
                break
            time.sleep(0.1)
    finally:
        worker.stop()
    assert ManualReview.objects.get(document=document).state == "forwarded"
    assert [request["json"]["document_id"] for request in fake_buli2.requests] == [str(document.id)]


def test_on_r2_the_image_url_is_a_presigned_url_of_the_object(settings, needs_review):
    settings.R2_CONFIGURED = True
    settings.SIGNED_URL_SECONDS = 120
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": "https://account.r2.example.com",
                "access_key": "test-access-key",
                "secret_key": "test-secret-key",
                "bucket_name": "filot-test",
                "region_name": "auto",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "querystring_expire": settings.SIGNED_URL_SECONDS,
            },
        },
    }
    url, _ = buli2.signed_image_url(document_id=str(needs_review.id), storage_key=needs_review.storage_key)
    assert url.startswith("https://account.r2.example.com/filot-test/" + needs_review.storage_key)
    assert "X-Amz-Expires=120" in url and "X-Amz-Signature=" in url
