"""Scoring a document again when new evidence arrives: an applicant's KTP decided after
their NPWP was sent to a human re-scores that NPWP against it (name, NPWP16 = NIK)."""

import uuid

import structlog
from django.db import transaction

from kyc import scoring
from kyc.models import DocType, Document, OcrResult, Status
from kyc.services.audit import apply_transition, lock_document

log = structlog.get_logger(__name__)
# A KTP in these statuses is not on file for checking an NPWP (see decisions._ktp_fields_on_file).
_NOT_ON_FILE = (Status.AUTO_REJECTED, Status.REJECTED, Status.FAILED)


def rescore_npwps_after_ktp(*, ktp: Document) -> list[Document]:
    """Re-score the applicant's NPWPs waiting for a human, inside the KTP's deciding
    transaction (its reading is saved, its outcome recorded). Returns the re-scored ones."""
    if ktp.doc_type != DocType.KTP or ktp.status in _NOT_ON_FILE:
        return []
    waiting = Document.objects.filter(
        owner_id=ktp.owner_id, doc_type=DocType.NPWP, status=Status.NEEDS_REVIEW
    ).values_list("pk", flat=True)
    changed = [rescore_document(document_id=pk, because="the applicant's KTP arrived") for pk in waiting]
    return [document for document in changed if document is not None]


def rescore_document(*, document_id: uuid.UUID | str, because: str) -> Document | None:
    """Score a `needs_review` document's saved reading again; None when nothing changed."""
    from kyc.services.decisions import scoring_inputs

    with transaction.atomic():
        document = lock_document(document_id)
        reading = OcrResult.objects.filter(document_id=document.pk).first()
        if document.status != Status.NEEDS_REVIEW or reading is None:
            return None
        evaluation = scoring.evaluate(
            reading=_contract(reading), declared_type=document.doc_type, **scoring_inputs(document=document)
        )
        reasons = evaluation.reasons_as_dicts()
        if evaluation.score == document.score and reasons == document.reasons:
            return None
        before = document.score
        apply_transition(
            document,
            lambda doc: doc.rescore(score=evaluation.score, reasons=reasons),
            reason=f"re-scored {before} -> {evaluation.score}: {because}",
        )
    log.info("document_rescored", document_id=str(document.id), score=evaluation.score, previous=before)
    return document


def _contract(reading: OcrResult) -> dict:
    """The saved reading in the OCR contract's shape, as the scorer takes it."""
    return {
        "doc_type": reading.doc_type,
        "fields": dict(reading.fields or {}),
        "confidence": dict(reading.confidence or {}),
        "quality": dict(reading.quality or {}),
        "error": reading.error or None,
    }
