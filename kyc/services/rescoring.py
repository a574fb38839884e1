"""Scoring a document again when new evidence arrives: an applicant's KTP decided after
their NPWP was sent to a human re-scores that NPWP against it (name, NPWP16 = NIK).

The KTP's decision may be the system's (`decisions.decide_document`) or a reviewer's or
BULI2's (`reviews.services.complete_manual_review`); both call `rescore_npwps_on_commit`.
When that KTP passed (`auto_approved` or `approved`), the new score (or the same one, no
longer held) decides as a first score would (`scoring.decide` with the same thresholds):
above `KYC_APPROVE_ABOVE` the NPWP is approved, below `KYC_REJECT_BELOW` rejected (or a
retake asked, when only the photo is at fault), in between it stays with the human
already asked. A KTP still in review or asked again leaves the re-scored NPWP with the
human whatever its score (the rule of a first score too, `decisions.ktp_not_passed`), as
does a review BULI2 holds a case for (a receiver of `kyc.signals.document_decision_held`:
BULI2 decides it). A decision is audited transitions by the system (`needs_review →
needs_review` with the new score when it changed, then the decision), and
`document_left_review` closes the document's review in the same transaction.

The re-score runs after the KTP's transaction commits, one NPWP per transaction, locking
the NPWP, then the `Applicant` row, then the applicant's advisory lock: the order of an
ingestion and of a reviewer's or BULI2's decision, so none of them deadlock.
"""

import functools
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.db import transaction

from filot import metrics
from kyc import scoring
from kyc.integrations.resubmission import retake_hint_for
from kyc.models import Applicant, DocType, Document, OcrResult, Status
from kyc.services.audit import apply_transition, lock_document
from kyc.signals import document_decision_held, document_left_review

log = structlog.get_logger(__name__)
# A re-score's decision in `filot_decisions` (contract labels): the system's outcomes,
# never a reviewer's `approved`/`rejected`; a retake asked is `resubmission_requested`
# as when the first score asks it.
_AUTOMATED_OUTCOME = {Status.APPROVED: Status.AUTO_APPROVED, Status.REJECTED: Status.AUTO_REJECTED}


def rescore_npwps_on_commit(*, ktp: Document, robust: bool = False) -> None:
    """Once the transaction deciding `ktp` commits, re-score the applicant's waiting
    NPWPs (`rescore_npwps_after_ktp`): the system's decision of a KTP
    (`decisions.decide_document`) and a reviewer's or BULI2's
    (`reviews.services.complete_manual_review`) alike.

    The caller holds the KTP's row (and the `Applicant` row, which its audited transition
    locked): the applicant's advisory lock is taken now, after them, the order of every
    path. So an NPWP being scored meanwhile either commits first (and the re-score finds
    it waiting) or waits and sees the KTP decided. `robust`: a failing re-score is logged
    and leaves the NPWP with its human rather than failing a caller whose decision has
    committed (a reviewer's request, BULI2's callback); the pipeline's is not robust, so
    its message is redelivered and runs it again."""
    from kyc.services.locks import lock_applicant

    if ktp.doc_type != DocType.KTP:
        return
    lock_applicant(owner_id=ktp.owner_id)
    rescore = _rescore_npwps_or_log if robust else rescore_npwps_after_ktp
    transaction.on_commit(functools.partial(rescore, ktp=ktp))


def _rescore_npwps_or_log(*, ktp: Document) -> None:
    """The re-score after a human's decision: a failure is logged, never raised (Django's
    own `robust=True` fails on a partial while logging, and would raise after all)."""
    try:
        rescore_npwps_after_ktp(ktp=ktp)
    except Exception:
        log.exception("npwp_rescore_failed", ktp_id=str(ktp.id))


def rescore_npwps_after_ktp(*, ktp: Document) -> list[Document]:
    """Re-score the applicant's NPWPs waiting for a human, once the KTP's deciding
    transaction has committed (`rescore_npwps_on_commit`; a redelivered message of a
    KTP the system decided runs it again), each NPWP in its own transaction. Returns
    the re-scored (or decided) ones."""
    from kyc.services.decisions import KTP_NOT_ON_FILE

    status = Document.objects.filter(pk=ktp.pk).values_list("status", flat=True).first()
    if ktp.doc_type != DocType.KTP or status is None or status in KTP_NOT_ON_FILE:
        return []
    waiting = Document.objects.filter(
        owner_id=ktp.owner_id, doc_type=DocType.NPWP, status=Status.NEEDS_REVIEW
    ).values_list("pk", flat=True)
    because = f"the applicant's KTP is {status}"
    changed = [rescore_document(document_id=pk, because=because) for pk in waiting]
    return [document for document in changed if document is not None]


def rescore_document(*, document_id: uuid.UUID | str, because: str) -> Document | None:
    """Score a `needs_review` document's saved reading again and decide on the new score;
    None when nothing changed (or it is no longer waiting: a reviewer decided first)."""
    from kyc.services.decisions import scoring_inputs

    with transaction.atomic():
        # The order of every path: the document, the `Applicant` row (which each audited
        # transition locks, kyc.integrations.events), then the applicant's advisory lock
        # (`scoring_inputs`).
        document = lock_document(document_id)
        Applicant.objects.select_for_update().filter(user_id=document.owner_id).first()
        reading = OcrResult.objects.filter(document_id=document.pk).first()
        if document.status != Status.NEEDS_REVIEW or reading is None:
            return None
        evaluation = scoring.evaluate(
            reading=_contract(reading), declared_type=document.doc_type, **scoring_inputs(document=document)
        )
        reasons = evaluation.reasons_as_dicts()
        before = document.score
        # The same score still decides anew when what held it has gone (its KTP passed).
        changed = evaluation.score != before or reasons != document.reasons
        rescored = f"re-scored {before} -> {evaluation.score}: {because}"
        if changed:
            apply_transition(
                document, lambda doc: doc.rescore(score=evaluation.score, reasons=reasons), reason=rescored
            )
        else:
            rescored = f"score {before} unchanged: {because}"
        held = _decision_held(document)
        outcome: str
        if held:
            outcome = Status.NEEDS_REVIEW
            log.info("document_rescore_decision_held", document_id=str(document.id), why=held)
        else:
            outcome = _decide(document, evaluation, rescored)
        if not changed and outcome == Status.NEEDS_REVIEW:
            return None
    log.info(
        "document_rescored",
        document_id=str(document.id),
        score=evaluation.score,
        previous=before,
        outcome=str(outcome),
    )
    return document


def _decide(document: Document, evaluation: scoring.Evaluation, rescored: str) -> str:
    """The decision of the new score on the locked, re-scored document; its status after."""
    outcome = scoring.decide(
        evaluation.score, approve_above=settings.KYC_APPROVE_ABOVE, reject_below=settings.KYC_REJECT_BELOW
    )
    if outcome == Status.NEEDS_REVIEW:
        return outcome
    problems = [reason.code for reason in evaluation.reasons if reason.effect < 0]
    hint = retake_hint_for(evaluation) if outcome == Status.AUTO_REJECTED else None
    decide: Callable[[Document], None]
    if outcome == Status.AUTO_APPROVED:
        decide, verdict = Document.approve, f"approved at score {evaluation.score} after the re-score"
    elif hint is None:
        decide = Document.reject
        verdict = f"rejected at score {evaluation.score} after the re-score: {', '.join(problems)}"
    else:
        decide = lambda doc: doc.request_resubmission(hint=hint)  # noqa: E731
        verdict = f"re-upload asked by the scorer after the re-score: {hint}"
    apply_transition(document, decide, reason=verdict)
    document_left_review.send(sender=Document, document=document, reason=f"{verdict} ({rescored})")
    status = document.status
    # The system decided, not a human: counted under the scorer's own outcomes.
    counted = _AUTOMATED_OUTCOME.get(status, status)
    transaction.on_commit(lambda: metrics.record_decision(outcome=counted))
    return status


def _decision_held(document: Document) -> str:
    """Why the system must not decide the re-scored document ('' when it may): its KTP
    has not passed (it waits for a human itself, or for a retake; the rule of a first
    score too, `decisions.ktp_not_passed`), or another app holds the decision
    (`document_decision_held`: a review with BULI2)."""
    from kyc.services.decisions import ktp_not_passed, ktp_on_file_status

    if ktp_on_file_status(document=document) is None:
        return "there is no KTP on file to check it against"
    held = ktp_not_passed(document=document)
    if held:
        return held
    replies = document_decision_held.send(sender=Document, document=document)
    return next((reply for _, reply in replies if isinstance(reply, str) and reply), "")


def _contract(reading: OcrResult) -> dict:
    """The saved reading in the OCR contract's shape, as the scorer takes it."""
    return {
        "doc_type": reading.doc_type,
        "fields": dict(reading.fields or {}),
        "confidence": dict(reading.confidence or {}),
        "quality": dict(reading.quality or {}),
        "error": reading.error or None,
    }
