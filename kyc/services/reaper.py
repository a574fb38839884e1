"""The reaper: every document that lost its way is put back on it (the database is the
source of truth; see docs/DESIGN.md, "Nothing is lost")."""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from filot.queues import OCR_QUEUE
from kyc.models import ActorKind, Document, Status
from kyc.services.audit import apply_transition, lock_document
from kyc.services.documents import dispatch_ocr, start_kyc_workflow

log = structlog.get_logger(__name__)


@dataclass
class ReaperReport:
    sent: int = 0  # OCR messages owed (broker was down) and now sent
    resent: int = 0  # stuck past the timeout: another attempt
    failed: int = 0  # stuck with no attempts left
    started: int = 0  # uploaded but never started (crash between commit and start)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "resent": self.resent, "failed": self.failed, "started": self.started}


def reap_stuck_documents(*, now: dt.datetime | None = None) -> ReaperReport:
    """Get every document that lost its way back on it.

    - `processing`, OCR message never reached the broker, older than the dispatch
      grace: send it (same attempt);
    - `processing` longer than the timeout since its message was sent: another attempt
      (re-send), or `failed` once `KYC_MAX_ATTEMPTS` attempts were made;
    - `uploaded` older than the grace (the process died between commit and start): start.
    A re-sent document whose first message is still alive is harmless: whichever
    result arrives second finds the document decided and changes nothing.
    """
    now = now or timezone.now()
    grace = now - dt.timedelta(seconds=settings.KYC_DISPATCH_GRACE_SECONDS)
    timeout = now - dt.timedelta(seconds=settings.KYC_PROCESSING_TIMEOUT_SECONDS)
    report = ReaperReport()
    owed = Document.objects.filter(
        status=Status.PROCESSING, dispatched_at__isnull=True, processing_started_at__lt=grace
    )
    for document in owed.order_by("processing_started_at")[:500]:
        report.sent += dispatch_ocr(document)
    stuck = Document.objects.filter(status=Status.PROCESSING, dispatched_at__lt=timeout)
    backlog = ocr_backlog()
    if backlog:
        # Messages still waiting are not lost: re-sending would only grow the queue, and
        # failing their documents would drop results that are on their way.
        log.info("reaper_waits_for_ocr_backlog", waiting=backlog)
        stuck = stuck.none()
    for document_id in stuck.order_by("dispatched_at").values_list("id", flat=True)[:500]:
        outcome = _isolated(document_id, lambda id_: _retry_or_fail(id_, timeout))
        report.resent += outcome == "resent"
        report.failed += outcome == "failed"
    never_started = Document.objects.filter(status=Status.UPLOADED, created_at__lt=grace)
    for document_id in never_started.values_list("id", flat=True)[:500]:
        started = _isolated(
            document_id,
            lambda id_: start_kyc_workflow(document_id=id_, actor_kind=ActorKind.SYSTEM, actor_id="reaper"),
        )
        report.started += started is not None
    if any(report.as_dict().values()):
        log.warning("stuck_documents_reaped", **report.as_dict())
    return report


def _isolated(document_id: uuid.UUID, step: Callable[[uuid.UUID], object]) -> object:
    """One document's step; its failure (another reaper got there first, a lost row
    lock) is logged and the run goes on with the next document."""
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


def _retry_or_fail(document_id: uuid.UUID, timeout: dt.datetime) -> str:
    with transaction.atomic():
        document = lock_document(document_id)
        if (
            document.status != Status.PROCESSING
            or not document.dispatched_at
            or document.dispatched_at >= timeout
        ):
            return "moved on"  # decided or re-sent since the query
        if document.attempts >= settings.KYC_MAX_ATTEMPTS:
            reason = f"OCR did not finish after {document.attempts} attempts."
            apply_transition(document, lambda doc: doc.fail(reason), reason=reason, actor_id="reaper")
            log.error("document_failed", document_id=str(document_id), reason=reason)
            return "failed"
        apply_transition(
            document, lambda doc: doc.retry(), reason="stuck in processing: sent again", actor_id="reaper"
        )
        transaction.on_commit(lambda: dispatch_ocr(document), robust=True)
    return "resent"
