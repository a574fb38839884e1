"""A frozen Redis and a PostgreSQL outage, on a real gunicorn with private instances.

- Redis frozen (SIGSTOP: it accepts connections and answers nothing): an upload still
  answers 201 within 3 s (rate limits fail open, the OCR message is owed and sent by
  the reaper once Redis answers), and /health/ready answers 503 within 3 s.
- PostgreSQL down: an upload answers 503 with Retry-After in the JSON error shape,
  nothing of it is stored, and uploads work again once the database is back.
"""

import signal
import time

import pytest
import requests

from cardgen.cards import render_card
from kyc.models import Document, Status
from tests.stack import LocalStack, PrivatePostgres, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_frozen_redis_costs_an_upload_and_a_readiness_probe_at_most_3_s(tmp_path):
    stack = LocalStack(tmp_path / "stack", KYC_DISPATCH_GRACE_SECONDS="1")
    try:
        stack.start_redis()
        stack.start_web()
        applicant = stack.applicant("frozen-redis@example.com")
        photos = [render_card(5151, index)[1] for index in range(4)]
        warm = stack.upload(applicant, photos[0])
        wait_until(lambda: Document.objects.filter(pk=warm, dispatched_at__isnull=False).exists(), timeout=10)

        stack.signal_redis(signal.SIGSTOP)
        # One kept-alive connection: each upload's OCR dispatch runs after its response on
        # the gunicorn thread that serves the next one, and must not make it wait (the
        # breaker is in every Redis connection of the process: one timeout, then at once).
        uploads = [timed(lambda photo=photo: stack.upload(applicant, photo)) for photo in photos[1:]]
        ready, ready_seconds = timed(lambda: requests.get(f"{stack.url}/health/ready", timeout=10))

        print(f"frozen Redis: uploads {[round(s, 2) for _, s in uploads]} s, readiness {ready_seconds:.2f} s")
        assert all(seconds <= 3 for _, seconds in uploads)
        assert ready.status_code == 503 and ready_seconds <= 3
        assert ready.json()["checks"]["redis"]["ok"] is False
        assert ready.json()["checks"]["database"]["ok"] is True
        ids = [document_id for document_id, _ in uploads]
        owed = Document.objects.filter(pk__in=ids, status=Status.PROCESSING, dispatched_at__isnull=True)
        wait_until(lambda: owed.count() == 3, timeout=5)  # kept, and owed to the broker

        stack.signal_redis(signal.SIGCONT)
        time.sleep(1.5)  # past the dispatch grace
        report = stack.manage("reap_stuck_documents", "--json")
        assert '"sent": 3' in report.stdout
        # Ready again once the breaker lets a trial through (REDIS_BREAKER_SECONDS).
        ready_url = f"{stack.url}/health/ready"
        wait_until(lambda: requests.get(ready_url, timeout=10).status_code == 200, timeout=15)
    finally:
        stack.stop()


def test_an_upload_during_a_postgresql_outage_answers_503_and_stores_nothing(tmp_path):
    postgres = PrivatePostgres()
    try:
        postgres.init()
        stack = LocalStack(tmp_path / "stack", DATABASE_URL=postgres.url)
        stack.manage("migrate", "--noinput")
        stack.start_redis()
        stack.start_web()
        applicant = stack.applicant("db-outage@example.com")
        photo = render_card(6161, 0)[1]
        media = tmp_path / "stack" / "media"

        postgres.stop()
        applicant.close()  # a kept-alive connection may be closed by the server meanwhile
        response, seconds = timed(
            lambda: applicant.post(
                f"{stack.url}/api/v1/documents",
                data={"doc_type": "KTP", "consent": "true"},
                files={"file": ("card.jpg", photo, "image/jpeg")},
                timeout=30,
            )
        )
        applicant.close()  # the refused upload's body was never read: gunicorn drops that connection
        listing = applicant.get(f"{stack.url}/api/v1/documents", timeout=30)

        print(f"PostgreSQL down: upload answered {response.status_code} in {seconds:.2f} s")
        assert response.status_code == 503, response.text
        assert int(response.headers["Retry-After"]) > 0
        assert response.json()["error"]["code"] == "unavailable"
        assert set(response.json()["error"]) == {"code", "message", "details"}
        assert listing.status_code == 503 and "Retry-After" in listing.headers
        assert not [path for path in media.rglob("*") if path.is_file()]  # nothing stored half-way

        postgres.start()
        applicant.close()
        stack.upload(applicant, photo)  # back: the same upload succeeds
    finally:
        if "stack" in locals():
            stack.stop()
        postgres.remove()
