"""The reaper: documents that lost their way are sent again, or failed, from the database."""

import datetime as dt
import json
import time

import dramatiq
import pytest
from django.core.management import call_command
from django.utils import timezone

from filot.broker import mark_in_flight
from kyc import services
from kyc.models import Document, Status
from tests.factories import document_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def ocr_queue():
    """The OCR messages waiting on the real Redis broker (no worker is running)."""
    broker = dramatiq.get_broker()
    broker.flush_all()

    def messages() -> list[str]:
        return [
            message_id.decode() for message_id in broker.client.lrange(f"{broker.namespace}:ocr-gpu", 0, -1)
        ]

    yield messages
    broker.flush_all()


def make_document(
    owner, *, status=Status.PROCESSING, attempts=1, started_ago=0, dispatched_ago=None, on_broker=True
) -> Document:
    """A document row; dispatched, its message is on the broker (its in-flight marker
    set) unless `on_broker` is False (the broker lost it)."""
    now = timezone.now()
    document = document_row(owner, correlation_id="reaper-test")
    Document.objects.filter(pk=document.pk).update(
        status=status,
        attempts=attempts,
        processing_started_at=now - dt.timedelta(seconds=started_ago),
        dispatched_at=None if dispatched_ago is None else now - dt.timedelta(seconds=dispatched_ago),
        created_at=now - dt.timedelta(seconds=started_ago),
    )
    document.refresh_from_db()
    if dispatched_ago is not None and on_broker:
        mark_in_flight(dramatiq.get_broker().client, [str(document.id)])
    return document


def test_an_ocr_message_that_never_reached_the_broker_is_sent(alice, ocr_queue, settings):
    settings.KYC_DISPATCH_GRACE_SECONDS = 15
    owed = make_document(alice, started_ago=60)
    recent = make_document(alice, started_ago=2)

    report = services.reap_stuck_documents()

    assert report.sent == 1
    owed.refresh_from_db()
    recent.refresh_from_db()
    assert owed.dispatched_at is not None and owed.attempts == 1  # the same attempt, now on its way
    assert recent.dispatched_at is None  # its upload request may still be sending it
    assert len(ocr_queue()) == 1


def test_a_document_stuck_past_the_timeout_gets_another_attempt(
    alice, ocr_queue, settings, django_capture_on_commit_callbacks
):
    settings.KYC_PROCESSING_TIMEOUT_SECONDS = 300
    stuck = make_document(alice, attempts=1, started_ago=900, dispatched_ago=900)
    busy = make_document(alice, attempts=1, started_ago=100, dispatched_ago=100)

    with django_capture_on_commit_callbacks(execute=True):
        report = services.reap_stuck_documents()

    assert (report.resent, report.failed) == (1, 0)
    stuck.refresh_from_db()
    assert stuck.status == Status.PROCESSING
    assert stuck.attempts == 2
    assert stuck.dispatched_at is not None
    last = stuck.transitions.last()
    assert (last.actor_kind, last.actor_id, last.reason) == (
        "system",
        "reaper",
        "stuck in processing: sent again",
    )
    busy.refresh_from_db()
    assert busy.attempts == 1 and not busy.transitions.exists()
    assert len(ocr_queue()) == 1


def test_a_document_out_of_attempts_fails_with_a_reason(alice, ocr_queue, settings):
    settings.KYC_MAX_ATTEMPTS = 3
    stuck = make_document(alice, attempts=3, started_ago=900, dispatched_ago=900)

    report = services.reap_stuck_documents()

    assert (report.resent, report.failed) == (0, 1)
    stuck.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert stuck.failure_reason == "OCR did not finish after 3 attempts."
    assert ocr_queue() == []


def test_an_upload_that_was_never_started_is_started(alice, ocr_queue, django_capture_on_commit_callbacks):
    forgotten = make_document(alice, status=Status.UPLOADED, attempts=0, started_ago=120)

    with django_capture_on_commit_callbacks(execute=True):
        report = services.reap_stuck_documents()

    assert report.started == 1
    forgotten.refresh_from_db()
    assert forgotten.status == Status.PROCESSING and forgotten.attempts == 1
    assert len(ocr_queue()) == 1


def test_decided_documents_are_left_alone_and_the_command_prints_counts(alice, ocr_queue, capsys):
    make_document(alice, status=Status.AUTO_APPROVED, started_ago=9000, dispatched_ago=9000)
    make_document(alice, status=Status.FAILED, started_ago=9000, dispatched_ago=9000)

    call_command("reap_stuck_documents", "--json")

    assert json.loads(capsys.readouterr().out) == {
        "failed": 0,
        "lost": 0,
        "resent": 0,
        "sent": 0,
        "skipped": 0,
        "started": 0,
    }
    assert ocr_queue() == []


def test_stuck_documents_wait_while_ocr_messages_are_still_queued(alice, ocr_queue, settings):
    """A backlog is not a loss: re-sending would grow the queue, failing would drop results."""
    from kyc.tasks import ocr_pipeline

    settings.KYC_MAX_ATTEMPTS = 1
    stuck = make_document(alice, attempts=1, started_ago=900, dispatched_ago=900)
    ocr_pipeline(document_id="queued", storage_key="k", doc_type="KTP", correlation_id="c").run()

    report = services.reap_stuck_documents()

    assert (report.resent, report.failed) == (0, 0)
    stuck.refresh_from_db()
    assert stuck.status == Status.PROCESSING
    assert len(ocr_queue()) == 1


def test_a_failure_of_an_earlier_attempt_does_not_fail_the_current_one(alice):
    document = make_document(alice, attempts=2, started_ago=10, dispatched_ago=10)

    assert services.fail_ocr(document_id=document.id, reason="gave up", attempt=1) is None
    document.refresh_from_db()
    assert document.status == Status.PROCESSING

    services.fail_ocr(document_id=document.id, reason="gave up", attempt=2)
    document.refresh_from_db()
    assert (document.status, document.failure_reason) == (Status.FAILED, "gave up")


@pytest.fixture
def held_row():
    """A row lock held by another session that does nothing: a frozen or orphaned
    worker inside its transaction. Released (rolled back) at the end, or by calling it."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    sessions = []

    def hold(document: Document):
        session = psycopg.connect(
            host=params.get("host") or "127.0.0.1",
            port=params.get("port") or 5432,
            user=params.get("user"),
            dbname=params["dbname"],
        )
        session.execute("SELECT 1 FROM kyc_document WHERE id = %s FOR UPDATE", [document.pk])
        sessions.append(session)
        return session

    yield hold
    for session in sessions:
        session.close()


@pytest.mark.django_db(transaction=True)
def test_the_reaper_skips_a_document_another_transaction_holds_and_takes_it_once_released(
    alice, ocr_queue, settings, held_row
):
    settings.KYC_PROCESSING_TIMEOUT_SECONDS = 300
    frozen = make_document(alice, attempts=1, started_ago=900, dispatched_ago=900)
    other = make_document(alice, attempts=1, started_ago=900, dispatched_ago=900)
    lock = held_row(frozen)

    started = time.monotonic()
    report = services.reap_stuck_documents()
    took = time.monotonic() - started

    assert took < 3, f"the reaper waited {took:.1f} s"
    assert (report.resent, report.skipped) == (1, 1)
    other.refresh_from_db()
    frozen.refresh_from_db()
    assert other.attempts == 2 and frozen.attempts == 1
    assert len(ocr_queue()) == 1

    lock.rollback()  # the worker is gone (PostgreSQL ends a frozen one's session: settings)
    dramatiq.get_broker().flush_all()  # a worker took the re-sent message: no backlog to wait for
    report = services.reap_stuck_documents()
    assert (report.resent, report.skipped) == (1, 0)
    frozen.refresh_from_db()
    assert frozen.attempts == 2 and frozen.status == Status.PROCESSING
    assert len(ocr_queue()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_held_upload_never_started_is_skipped_not_waited_on(alice, ocr_queue, held_row):
    forgotten = make_document(alice, status=Status.UPLOADED, attempts=0, started_ago=120)
    held_row(forgotten)

    started = time.monotonic()
    report = services.reap_stuck_documents()

    assert time.monotonic() - started < 3
    assert (report.started, report.skipped) == (0, 1)


def test_a_reaper_pass_stops_taking_documents_at_its_time_bound(alice, ocr_queue, settings):
    settings.REAPER_PASS_SECONDS = 0  # already over: nothing is taken, the next pass goes on
    make_document(alice, attempts=1, started_ago=900, dispatched_ago=900)

    report = services.reap_stuck_documents()

    assert report.as_dict() == dict.fromkeys(report.as_dict(), 0)


def test_a_document_whose_message_the_broker_lost_is_sent_again_at_once(alice, ocr_queue, settings):
    settings.KYC_INFLIGHT_CONFIRM_MS = 100
    lost = make_document(alice, attempts=1, started_ago=30, dispatched_ago=30, on_broker=False)
    queued = make_document(alice, attempts=1, started_ago=30, dispatched_ago=30)

    with_callbacks = services.reap_stuck_documents()

    assert (with_callbacks.lost, with_callbacks.resent) == (1, 0)
    lost.refresh_from_db()
    queued.refresh_from_db()
    assert lost.attempts == 2
    assert lost.transitions.last().reason == "OCR message lost by the broker: sent again"
    assert queued.attempts == 1 and not queued.transitions.exists()


def test_postgresql_ends_a_session_frozen_inside_its_transaction(settings):
    """So a frozen worker's row locks are released, and its document decided, within a
    minute in production (the tests run with a longer limit: tests/environment.py)."""
    from django.db import connection

    with connection.cursor() as cursor:
        name = "idle_in_transaction_session_timeout"
        cursor.execute("SELECT setting::int FROM pg_settings WHERE name = %s", [name])
        assert cursor.fetchone()[0] == settings.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS > 0
