"""Identical signed BULI2 callbacks at once: one change and exactly one `replayed: false`."""

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from kyc.models import DocumentTransition, Status
from reviews.models import ReviewEvent
from reviews.signing import sign_callback
from tests.reviews.conftest import SIGNATURE_SECRET


@pytest.mark.django_db(transaction=True)
def test_ten_identical_callbacks_at_once_answer_replayed_false_exactly_once(buli2_settings, needs_review):
    review = needs_review.manual_review
    raw = json.dumps(
        {
            "event_id": "evt-race-1",
            "review_id": str(review.id),
            "decision": "approve",
            "reason": "Checked by BULI2",
        }
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "HTTP_X_BULI2_TIMESTAMP": timestamp,
        "HTTP_X_BULI2_SIGNATURE": sign_callback(secret=SIGNATURE_SECRET, timestamp=timestamp, body=raw),
    }
    start = threading.Barrier(10)
    answers: list = []

    def deliver() -> None:
        try:
            start.wait()
            answers.append(
                Client().generic(
                    "POST", "/api/v1/reviews/callback", raw, content_type="application/json", **headers
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [200] * 10
    assert sorted(answer.json()["replayed"] for answer in answers) == [False] + [True] * 9
    assert ReviewEvent.objects.filter(external_event_id="evt-race-1").count() == 1
    needs_review.refresh_from_db()
    assert needs_review.status == Status.APPROVED
    assert DocumentTransition.objects.filter(document=needs_review, to_status=Status.APPROVED).count() == 1
