"""The reaper: every document that lost its way is put back on it (the database is the
source of truth; see docs/DESIGN.md, "Nothing is lost" and "Faults and recovery").

It never waits: a row another transaction holds (a frozen or orphaned worker) is
skipped, not waited on (`SKIP LOCKED`), and seen again by the next pass; every other
lock wait and every statement is cut by PostgreSQL's lock and statement timeouts; a
pass stops taking documents after REAPER_PASS_SECONDS.
"""

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from filot.queues import OCR_QUEUE
from kyc.models import ActorKind, Document, Status
from kyc.services.audit import apply_transition
from kyc.services.documents import dispatch_ocr, start_kyc_workflow

log = structlog.get_logger(__name__)
BATCH = 500


@dataclass
class ReaperReport:
    sent: int = 0  # OCR messages owed (broker was down) and now sent
    resent: int = 0  # stuck past the timeout: another attempt
    failed: int = 0  # stuck with no attempts left
    started: int = 0  # uploaded but never started (crash between commit and start)
    lost: int = 0  # their message was lost with the broker's data: another attempt
    skipped: int = 0  # held by another transaction: left for the next pass
    deadline: float = field(default=0.0, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "resent": self.resent,
            "failed": self.failed,
            "started": self.started,
            "lost": self.lost,
            "skipped": self.skipped,
        }

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline


def reap_stuck_documents(*, now: dt.datetime | None = None) -> ReaperReport:
    """Get every document that lost its way back on it.

    - `processing`, OCR message never reached the broker, older than the dispatch
      grace: send it (same attempt);
    - `processing` and its in-flight marker gone from the broker (Redis lost its data):
      another attempt at once, without waiting for the timeout;
    - `processing` longer than the timeout since its message was sent: another attempt
      (re-send), or `failed` once `KYC_MAX_ATTEMPTS` attempts were made;
    - `uploaded` older than the grace (the process died between commit and start): start.
    A re-sent document whose first message is still alive is harmless: whichever
    result arrives second finds the document decided and changes nothing.
    """
    now = now or timezone.now()
    report = ReaperReport(deadline=time.monotonic() + settings.REAPER_PASS_SECONDS)
    with _bounded_statements():
        _requeue_dead_workers()
        _send_owed(now, report)
        _resend_lost(now, report)
        _resend_stuck(now, report)
        _start_never_started(now, report)
    if report.out_of_time():
        log.warning("reaper_pass_cut_short", seconds=settings.REAPER_PASS_SECONDS, **report.as_dict())
    if any(report.as_dict().values()):
        log.warning("stuck_documents_reaped", **report.as_dict())
    return report


@contextlib.contextmanager
def _bounded_statements() -> Iterator[None]:
    """This connection's lock and statement timeouts for the pass (PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        for name, milliseconds in (
            ("lock_timeout", settings.REAPER_LOCK_TIMEOUT_MS),
            ("statement_timeout", settings.REAPER_STATEMENT_TIMEOUT_MS),
        ):
            cursor.execute("SELECT set_config(%s, %s, false)", [name, f"{milliseconds}ms"])
    try:
        yield
    finally:
        with contextlib.suppress(Exception), connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout; RESET statement_timeout")


def _requeue_dead_workers() -> None:
    from filot.broker import requeue_dead_workers_messages

    try:
        requeue_dead_workers_messages()
    except Exception as error:  # the broker is down: nothing to requeue onto
        log.warning("reaper_requeue_unavailable", error=type(error).__name__)


def _send_owed(now: dt.datetime, report: ReaperReport) -> None:
    grace = now - dt.timedelta(seconds=settings.KYC_DISPATCH_GRACE_SECONDS)
    owed = Document.objects.filter(
        status=Status.PROCESSING, dispatched_at__isnull=True, processing_started_at__lt=grace
    )
    for document in owed.order_by("processing_started_at")[:BATCH]:
        if report.out_of_time():
            return
        # mypy cannot infer a lambda with a default argument (the loop variable bound early).
        sent = _isolated(document.id, lambda _id, document=document: dispatch_ocr(document))  # type: ignore[misc]
        if sent is False:
            return  # the broker is down: the others would fail the same way
        report.sent += bool(sent)


def _resend_lost(now: dt.datetime, report: ReaperReport) -> None:
    """Documents whose in-flight marker is gone: Redis lost its data since their message
    was sent. A read in progress marks itself again within KYC_INFLIGHT_REFRESH_SECONDS,
    so a marker still missing KYC_INFLIGHT_CONFIRM_MS later is a lost message."""
    from filot.broker import unmarked_documents

    sent_before = now - dt.timedelta(seconds=2)
    candidates = Document.objects.filter(status=Status.PROCESSING, dispatched_at__lt=sent_before)
    ids = [str(document_id) for document_id in candidates.values_list("id", flat=True)[: BATCH * 10]]
    try:
        missing = unmarked_documents(ids)
        if missing:
            time.sleep(settings.KYC_INFLIGHT_CONFIRM_MS / 1000)
            missing = unmarked_documents(missing)
    except Exception as error:  # the broker is down: nothing can be re-sent now anyway
        log.warning("reaper_inflight_unknown", error=type(error).__name__)
        return
    if missing:
        log.warning("ocr_messages_lost", documents=len(missing))
    for document_id in missing[:BATCH]:
        if report.out_of_time():
            return
        outcome = _isolated(document_id, lambda id_: _retry_or_fail(id_, sent_before, lost=True))
        _count(report, outcome)


def _resend_stuck(now: dt.datetime, report: ReaperReport) -> None:
    timeout = now - dt.timedelta(seconds=settings.KYC_PROCESSING_TIMEOUT_SECONDS)
    stuck = Document.objects.filter(status=Status.PROCESSING, dispatched_at__lt=timeout)
    backlog = ocr_backlog()
    if backlog:
        # Messages still waiting are not lost (lost ones were handled above): re-sending
        # would only grow the queue, and failing would drop results on their way.
        log.info("reaper_waits_for_ocr_backlog", waiting=backlog)
        return
    for document_id in stuck.order_by("dispatched_at").values_list("id", flat=True)[:BATCH]:
        if report.out_of_time():
            return
        _count(report, _isolated(document_id, lambda id_: _retry_or_fail(id_, timeout)))


def _start_never_started(now: dt.datetime, report: ReaperReport) -> None:
    grace = now - dt.timedelta(seconds=settings.KYC_DISPATCH_GRACE_SECONDS)
    never_started = Document.objects.filter(status=Status.UPLOADED, created_at__lt=grace)
    for document_id in never_started.values_list("id", flat=True)[:BATCH]:
        if report.out_of_time():
            return
        outcome = _isolated(document_id, _start_unless_held)
        report.started += outcome == "started"
        report.skipped += outcome == "skipped"


def _count(report: ReaperReport, outcome: object) -> None:
    report.resent += outcome == "resent"
    report.lost += outcome == "lost"
    report.failed += outcome == "failed"
    report.skipped += outcome == "skipped"


def _isolated(document_id: uuid.UUID | str, step: Callable[[uuid.UUID | str], object]) -> object:
    """One document's step; its failure (a lock or statement timeout, another reaper
    got there first) is logged and the run goes on with the next document."""
    try:
        return step(document_id)
    except Exception as error:
        log.warning("reaper_step_failed", document_id=str(document_id), error=type(error).__name__)
        return None


def ocr_backlog() -> int:
    """OCR messages waiting on the broker (0 when it cannot tell: the reaper then acts)."""
    from filot.broker import queue_length

    try:
        return queue_length(OCR_QUEUE)
    except Exception as error:  # the broker is down: the documents' state decides alone
        log.warning("ocr_backlog_unknown", error=type(error).__name__)
        return 0


def _lock_unless_held(document_id: uuid.UUID | str) -> Document | None:
    """The document's row locked, or None when another transaction holds it."""
    return Document.objects.select_for_update(of=("self",), skip_locked=True).filter(pk=document_id).first()


def _start_unless_held(document_id: uuid.UUID | str) -> str:
    with transaction.atomic():
        if (document := _lock_unless_held(document_id)) is None:
            return "skipped"
        start_kyc_workflow(document_id=document.id, actor_kind=ActorKind.SYSTEM, actor_id="reaper")
    return "started"


def _retry_or_fail(document_id: uuid.UUID | str, sent_before: dt.datetime, *, lost: bool = False) -> str:
    with transaction.atomic():
        document = _lock_unless_held(document_id)
        if document is None:
            return "skipped"
        if (
            document.status != Status.PROCESSING
            or not document.dispatched_at
            or document.dispatched_at >= sent_before
        ):
            return "moved on"  # decided or re-sent since the query
        if document.attempts >= settings.KYC_MAX_ATTEMPTS:
            reason = f"OCR did not finish after {document.attempts} attempts."
            apply_transition(document, lambda doc: doc.fail(reason), reason=reason, actor_id="reaper")
            log.error("document_failed", document_id=str(document_id), reason=reason)
            return "failed"
        reason = "OCR message lost by the broker: sent again" if lost else "stuck in processing: sent again"
        apply_transition(document, lambda doc: doc.retry(), reason=reason, actor_id="reaper")
        transaction.on_commit(lambda: dispatch_ocr(document), robust=True)
    return "lost" if lost else "resent"
