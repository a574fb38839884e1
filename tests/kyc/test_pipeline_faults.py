"""Faults: a worker killed mid-run, Redis down during uploads. Nothing uploaded is lost,
and every document is decided exactly once.

The stack runs in subprocesses (gunicorn, `manage.py rundramatiq`, a private
redis-server) so that it can be killed and restarted; see tests/stack.py.
"""

import time

import pytest

from cardgen.cards import render_card
from kyc.models import Document, DocumentTransition, OcrResult, Status
from tests.stack import LocalStack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SETTLED = [Status.AUTO_APPROVED, Status.AUTO_REJECTED, Status.NEEDS_REVIEW, Status.FAILED]


@pytest.fixture
def stack(tmp_path):
    stack = LocalStack(
        tmp_path / "stack",
        # A dead worker's messages come back within seconds, not minutes.
        DRAMATIQ_HEARTBEAT_TIMEOUT_MS="5000",
        DRAMATIQ_MAINTENANCE_CHANCE="100000",
        KYC_DISPATCH_GRACE_SECONDS="1",
        # These tests run the reaper themselves (tests/kyc/test_recovery_faults.py: the workers').
        REAPER_IN_WORKERS="0",
    )
    stack.start_redis()
    stack.start_web()
    yield stack
    stack.stop()


def card_photos(count: int, seed: int = 4242) -> list[bytes]:
    return [render_card(seed, index)[1] for index in range(count)]


def wait_all_settled(ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Document.objects.filter(pk__in=ids, status__in=SETTLED).count() == len(ids):
            return
        time.sleep(0.5)
    stuck = dict(Document.objects.filter(pk__in=ids).exclude(status__in=SETTLED).values_list("id", "status"))
    raise AssertionError(f"{len(stuck)} of {len(ids)} documents not settled after {timeout} s: {stuck}")


def assert_decided_exactly_once(ids: list[str]) -> None:
    for document_id in ids:
        into_settled = DocumentTransition.objects.filter(document_id=document_id, to_status__in=SETTLED)
        assert into_settled.count() == 1, list(into_settled.values_list("to_status", flat=True))
        assert (
            DocumentTransition.objects.filter(document_id=document_id, to_status="ocr_completed").count() <= 1
        )
    assert OcrResult.objects.filter(document_id__in=ids).count() == len(
        [i for i in ids if Document.objects.get(pk=i).status != Status.FAILED]
    )


def test_a_worker_killed_mid_run_loses_nothing_and_decides_each_document_once(stack):
    photos = card_photos(10)
    applicant = stack.applicant("kill-test@example.com")
    worker = stack.start_worker()
    ids = [stack.upload(applicant, photo) for photo in photos]

    # Let it get going, then kill it (and its dramatiq children) without warning.
    deadline = time.monotonic() + 120
    while Document.objects.filter(pk__in=ids, status__in=SETTLED).count() < 3:
        assert time.monotonic() < deadline, "the first worker decided nothing"
        time.sleep(0.2)
    stack.kill(worker)
    settled_at_kill = Document.objects.filter(pk__in=ids, status__in=SETTLED).count()
    assert settled_at_kill < len(ids), "the worker finished everything before it was killed"

    stack.start_worker()
    wait_all_settled(ids, timeout=240)

    assert_decided_exactly_once(ids)
    assert Document.objects.filter(pk__in=ids, status=Status.FAILED).count() == 0


def test_uploads_while_redis_is_down_are_kept_and_decided_once_it_is_back(stack):
    photos = card_photos(5, seed=777)
    applicant = stack.applicant("redis-down@example.com")
    stack.start_worker()

    stack.stop_redis()
    ids = [stack.upload(applicant, photo) for photo in photos]  # accepted: 201 each
    # Each is sent to OCR just after its response (filot.deferred): the last may not be yet.
    assert set(Document.objects.filter(pk__in=ids).values_list("status", flat=True)) <= {
        Status.UPLOADED,
        Status.PROCESSING,
    }
    assert not Document.objects.filter(pk__in=ids, dispatched_at__isnull=False).exists()

    stack.start_redis()
    time.sleep(1.5)  # past KYC_DISPATCH_GRACE_SECONDS
    report = stack.manage("reap_stuck_documents", "--json")
    assert '"sent": 5' in report.stdout

    wait_all_settled(ids, timeout=180)
    assert_decided_exactly_once(ids)
    assert "ocr_dispatch_failed" in stack.log_text()
