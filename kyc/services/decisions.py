"""The OCR reading, its score and the decision.

`ingest_reading` is the `default`-queue step of the pipeline, in three parts under one
row lock: save what the OCR read, gather what the scorer needs besides the reading,
and decide.
"""

import json
from collections.abc import Callable
from typing import TypedDict

import structlog
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import QuerySet

from filot import metrics
from kyc import scoring
from kyc.crypto import nik_blind_index, open_reading_blob
from kyc.integrations.resubmission import request_retake_by_scorer
from kyc.models import VERIFIED_STATUSES, DocType, Document, OcrResult, Profile, Status, User
from kyc.services.audit import apply_transition
from kyc.services.locks import lock_applicant
from kyc.signals import document_needs_review

log = structlog.get_logger(__name__)

# A KTP in these statuses is not on file: an NPWP is not checked against it.
KTP_NOT_ON_FILE = (Status.AUTO_REJECTED, Status.REJECTED, Status.FAILED)
# Only a KTP that passed lets an NPWP's score decide it (its first score or a re-score);
# against one still in review or asked again, a human decides the NPWP.
KTP_PASSED = (Status.AUTO_APPROVED, Status.APPROVED)

_DECIDE: dict[str, Callable[[Document], None]] = {
    Status.AUTO_APPROVED: Document.auto_approve,
    Status.AUTO_REJECTED: Document.auto_reject,
    Status.NEEDS_REVIEW: Document.send_to_review,
}


def ingest_reading(*, document_id: str, reading_key: str) -> Document | None:
    """Save what the OCR read, score it and decide, in one transaction with the row locked.

    A document no longer in `processing` means this is a duplicate delivery (a
    redelivered or re-sent message after the first one was ingested): it is logged and
    nothing changes. Returns the decided document, or None for a duplicate.
    """
    reading = _load_reading(reading_key)
    with transaction.atomic():
        document = (
            Document.objects.select_for_update(of=("self",)).select_related("owner").get(pk=document_id)
        )
        if document.status != Status.PROCESSING:
            log.warning("ocr_result_duplicate", document_id=document_id, status=document.status)
            # The first delivery committed the decision but may have died (or failed)
            # before its after-commit re-score of the applicant's NPWPs: run it again.
            _rescore_npwps_after_commit(document)
            return None
        save_reading(document=document, reading=reading, reading_key=reading_key)
        evaluation = scoring.evaluate(
            reading=reading, declared_type=document.doc_type, **scoring_inputs(document=document)
        )
        outcome = decide_document(document=document, evaluation=evaluation)
    log.info(
        "document_decided",
        document_id=document_id,
        outcome=outcome,
        score=evaluation.score,
        reasons=[reason.code for reason in evaluation.reasons],
        gpu_processed=document.gpu_processed,
    )
    return document


def save_reading(*, document: Document, reading: dict, reading_key: str) -> OcrResult:
    """The reading, encrypted, on a `processing` document the caller has locked: `ocr_completed`."""
    fields = dict(reading.get("fields") or {})
    result, _ = OcrResult.objects.update_or_create(
        document=document,
        defaults={
            "doc_type": reading.get("doc_type") or "UNKNOWN",
            "fields": fields,
            "nik_hash": nik_blind_index(fields["nik"]) if fields.get("nik") else "",
            "confidence": reading.get("confidence") or {},
            "quality": reading.get("quality") or {},
            "checks": reading.get("checks") or [],
            "timings_ms": reading.get("timings_ms") or {},
            "providers": reading.get("providers") or [],
            "gpu_processed": bool(reading.get("gpu_processed")),
            "error": (reading.get("error") or "")[:300],
            "reading_key": reading_key,
        },
    )
    gpu = bool(reading.get("gpu_processed"))
    apply_transition(document, lambda doc: doc.complete_ocr(gpu_processed=gpu), reason="OCR read the card")
    _lock_identity(fields)
    return result


class ScoringInputs(TypedDict):
    """What `scoring.evaluate` needs besides the reading (its keyword arguments)."""

    applicant: scoring.Applicant
    nik_verified_elsewhere: Callable[[str], bool]
    ktp_fields: dict | None


def scoring_inputs(*, document: Document) -> ScoringInputs:
    """The applicant's declared identity, the duplicate-identity check and, for an NPWP,
    the fields of their KTP on file."""
    owner = document.owner
    lock_applicant(owner_id=owner.pk)
    return ScoringInputs(
        applicant=_applicant(owner),
        nik_verified_elsewhere=lambda nik: nik_verified_elsewhere(nik=nik, owner=owner),
        ktp_fields=_ktp_fields_on_file(document),
    )


def decide_document(*, document: Document, evaluation: scoring.Evaluation) -> str:
    """Record the score on the locked `ocr_completed` document and decide; returns the outcome.

    A `needs_review` decision tells `reviews` through `document_needs_review`, inside this
    transaction; the decision is counted (metrics) once it commits.
    """
    reasons = evaluation.reasons_as_dicts()
    log.info("scoring_done", document_id=str(document.id), score=evaluation.score, reasons=_codes(evaluation))
    apply_transition(
        document,
        lambda doc: doc.record_evaluation(score=evaluation.score, reasons=reasons),
        reason=f"scored {evaluation.score}",
    )
    outcome = scoring.decide(
        evaluation.score, approve_above=settings.KYC_APPROVE_ABOVE, reject_below=settings.KYC_REJECT_BELOW
    )
    reason = _decision_reason(outcome, evaluation)
    held = ktp_not_passed(document=document) if outcome != Status.NEEDS_REVIEW else ""
    if held:
        # The re-score's rule (kyc.services.rescoring): the KTP's own decision comes first.
        reason = f"needs_review at score {evaluation.score}, not {outcome}: {held}"
        outcome = Status.NEEDS_REVIEW
    # A reject a better photo could fix asks for a retake instead (kyc.integrations).
    if outcome == Status.AUTO_REJECTED and request_retake_by_scorer(document=document, evaluation=evaluation):
        outcome = Status.RESUBMISSION_REQUESTED
    else:
        apply_transition(document, _DECIDE[outcome], reason=reason)
    if outcome == Status.NEEDS_REVIEW:
        document_needs_review.send(sender=Document, document=document, reason=held)
    uploaded_at = document.created_at
    transaction.on_commit(lambda: metrics.record_decision(outcome=outcome, uploaded_at=uploaded_at))
    _rescore_npwps_after_commit(document)
    return outcome


def _rescore_npwps_after_commit(document: Document) -> None:
    """A KTP's waiting NPWPs are re-scored once its transaction commits, each in its own
    transaction locking the NPWP first, like every other path (no lock held across the
    two documents: no deadlock with a reviewer's or BULI2's decision on the NPWP). Not
    robust on purpose: a failure fails the message, whose redelivery (a duplicate of a
    decided document) runs the re-score again; registered last, after the metrics."""
    from kyc.services.rescoring import rescore_npwps_on_commit  # rescoring scores with this module

    rescore_npwps_on_commit(ktp=document)


def _codes(evaluation: scoring.Evaluation) -> list[str]:
    return [reason.code for reason in evaluation.reasons]


def _lock_identity(fields: dict) -> None:
    """Serialize the decisions about one NIK (PostgreSQL advisory lock until commit), so
    two accounts' cards with the same NIK ingested at once cannot both pass the
    duplicate-identity check."""
    nik = scoring.card_nik(fields)
    if nik and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [nik_blind_index(nik)])


def _decision_reason(outcome: str, evaluation: scoring.Evaluation) -> str:
    problems = [reason.code for reason in evaluation.reasons if reason.effect < 0]
    return f"{outcome} at score {evaluation.score}" + (f": {', '.join(problems)}" if problems else "")


def _load_reading(reading_key: str) -> dict:
    """The sealed reading file the OCR wrote, opened with the NIK key ring."""
    with default_storage.open(reading_key, "rb") as stored:
        return json.loads(open_reading_blob(stored.read()))


def _applicant(user: User) -> scoring.Applicant:
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        return scoring.Applicant()
    return scoring.Applicant(
        full_name=profile.full_name, date_of_birth=profile.date_of_birth, nik=profile.nik or ""
    )


def nik_verified_elsewhere(*, nik: str, owner: User) -> bool:
    """Does another account hold a verified card with this NIK? (blind index, no decryption)"""
    return (
        OcrResult.objects.filter(nik_hash=nik_blind_index(nik), document__status__in=VERIFIED_STATUSES)
        .exclude(document__owner=owner)
        .exists()
    )


def _ktp_fields_on_file(document: Document) -> dict | None:
    """For an NPWP: the fields of the same applicant's most recent KTP that was not rejected."""
    if document.doc_type != DocType.NPWP:
        return None
    result = _ktp_readings_on_file(document).first()
    return dict(result.fields) if result is not None else None


def ktp_on_file_status(*, document: Document) -> str | None:
    """The status of the KTP an NPWP is (or was just) scored against, the choice of
    `_ktp_fields_on_file`; None when the applicant has none on file."""
    return _ktp_readings_on_file(document).values_list("document__status", flat=True).first()


def ktp_not_passed(*, document: Document) -> str:
    """Why an NPWP's score must not decide it ('' when it may): the KTP it was checked
    against has not passed (it waits for a human, or for a retake). Read under the
    applicant's advisory lock (`scoring_inputs`), which a human's decision of the KTP
    takes too, so the status read is the one the NPWP's score saw. With no KTP on file
    the score decides (its `no_ktp_on_file` reason counts against it)."""
    if document.doc_type != DocType.NPWP:
        return ""
    status = ktp_on_file_status(document=document)
    if status is None or status in KTP_PASSED:
        return ""
    return f"the KTP it was checked against has not passed (it is {status})"


def _ktp_readings_on_file(document: Document) -> QuerySet[OcrResult]:
    """The applicant's KTP readings an NPWP may be checked against, the most recent first."""
    return (
        OcrResult.objects.filter(
            document__owner_id=document.owner_id, document__doc_type=DocType.KTP, doc_type="KTP"
        )
        .exclude(document__status__in=KTP_NOT_ON_FILE)
        .order_by("-created_at")
    )


# --- for reviewers ------------------------------------------------------------------
def stored_reading(*, reading_key: str) -> dict:
    """The whole reading the OCR stored (its lines and boxes, the flattened card's key);
    empty when it is gone or damaged: the case page then shows the saved fields only."""
    try:
        return _load_reading(reading_key)
    except (OSError, ValueError):
        return {}


def ktp_fields_on_file(*, document: Document) -> dict | None:
    """For an NPWP, the KTP fields it was (or would now be) scored against."""
    return _ktp_fields_on_file(document)
