"""Every write of the kyc app: accounts, profiles, documents and their lifecycle.

Writes share one shape: inside `transaction.atomic()` lock the row, call the
transition, save the changed fields, write the audit row; anything that leaves the
process (storage deletes, broker messages) runs after commit.
"""

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from filot.correlation import current_correlation_id
from filot.errors import Conflict, PayloadTooLarge
from kyc import scoring
from kyc.crypto import nik_blind_index
from kyc.models import (
    ACTIVE_STATUSES,
    VERIFIED_STATUSES,
    ActorKind,
    DocType,
    Document,
    DocumentTransition,
    OcrResult,
    Profile,
    Status,
    User,
)
from kyc.signals import document_needs_review
from kyc.validators import NormalizedImage, validate_and_normalize
from ocr_gpu.engine.nik import decode_nik

log = structlog.get_logger(__name__)


# --- accounts and profile ----------------------------------------------------------
def register_user(*, email: str, password: str) -> User:
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
            Profile.objects.create(user=user)
    except IntegrityError as error:
        raise ValidationError({"email": ["An account with this email already exists."]}) from error
    log.info("user_registered", user_id=str(user.id))
    return user


def validate_nik(nik: str) -> str:
    """A declared NIK: 16 digits, a known province, a real date (+40 for women)."""
    if len(nik) != 16 or not nik.isdigit():
        raise ValidationError({"nik": ["A NIK has exactly 16 digits."]})
    if decode_nik(nik) is None:
        raise ValidationError({"nik": ["This is not a valid NIK (province code or birth date)."]})
    return nik


def update_profile(
    *, user: User, full_name: str, date_of_birth: dt.date | None, nik: str, phone: str
) -> Profile:
    if nik:
        validate_nik(nik)
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
        profile.full_name = " ".join(full_name.split()).upper()
        profile.date_of_birth = date_of_birth
        profile.nik = nik
        profile.nik_hash = nik_blind_index(nik) if nik else ""
        profile.phone = phone
        profile.save(update_fields=["full_name", "date_of_birth", "nik", "nik_hash", "phone", "updated_at"])
    return profile


# --- documents -------------------------------------------------------------------
def _record_transition(
    document: Document, from_status: str, *, actor_kind: str, actor_id: str = "", reason: str = ""
) -> DocumentTransition:
    return DocumentTransition.objects.create(
        document=document,
        from_status=from_status,
        to_status=document.status,
        actor_kind=actor_kind,
        actor_id=actor_id,
        reason=reason[:500],
        correlation_id=current_correlation_id() or document.correlation_id,
    )


def transition_document(
    *,
    document_id: uuid.UUID,
    apply: Callable[[Document], None],
    actor_kind: str,
    actor_id: str = "",
    reason: str = "",
) -> Document:
    """Lock the document, run one transition method, save it and write the audit row.

    Callers run inside their own `transaction.atomic()` when they do more in the
    same transaction; on its own this opens one.
    """
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        before = document.status
        apply(document)
        # A full save under the row lock: the transition decides which fields change.
        document.save()
        _record_transition(document, before, actor_kind=actor_kind, actor_id=actor_id, reason=reason)
    return document


def _existing_document(*, user: User, sha256: str, idempotency_key: str | None) -> Document | None:
    if idempotency_key:
        keyed = Document.objects.filter(owner=user, idempotency_key=idempotency_key).first()
        if keyed is not None:
            if keyed.sha256 != sha256:
                raise Conflict("This Idempotency-Key was used for a different file.")
            return keyed
    return Document.objects.filter(owner=user, sha256=sha256, status__in=ACTIVE_STATUSES).first()


def _store_original(document_id: uuid.UUID, owner_id: uuid.UUID, image: NormalizedImage) -> str:
    name = f"documents/{owner_id}/{document_id}/original.{image.extension}"
    return default_storage.save(name, ContentFile(image.content))


def submit_document(
    *, user: User, doc_type: str, file: object, idempotency_key: str | None = None
) -> tuple[Document, bool]:
    """Validate, store and record an upload; returns (document, created).

    The same bytes re-uploaded while their document is active, or a retried request
    with the same Idempotency-Key, return the existing document instead.
    """
    try:
        image = validate_and_normalize(file)
    except ValidationError as error:
        if error.code == "file_too_large":
            raise PayloadTooLarge(error.messages[0]) from error
        raise ValidationError({"file": error.messages}) from error
    existing = _existing_document(user=user, sha256=image.sha256, idempotency_key=idempotency_key)
    if existing is not None:
        return existing, False
    document_id = uuid.uuid4()
    storage_key = _store_original(document_id, user.id, image)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                id=document_id,
                owner=user,
                doc_type=doc_type,
                storage_key=storage_key,
                sha256=image.sha256,
                size_bytes=image.size,
                detected_type=image.detected_type,
                width=image.width,
                height=image.height,
                correlation_id=current_correlation_id() or uuid.uuid4().hex,
                idempotency_key=idempotency_key or "",
            )
            DocumentTransition.objects.create(
                document=document,
                from_status="",
                to_status=document.status,
                actor_kind=ActorKind.USER,
                actor_id=str(user.id),
                reason="uploaded",
                correlation_id=document.correlation_id,
            )
            # robust: the upload is committed; a failure to start it must not undo the
            # response or delete its image (the reaper starts documents left `uploaded`).
            transaction.on_commit(lambda: start_kyc_workflow(document_id=document_id), robust=True)
    except IntegrityError:
        # A concurrent retry with the same Idempotency-Key won the race: answer with its document.
        default_storage.delete(storage_key)
        existing = _existing_document(user=user, sha256=image.sha256, idempotency_key=idempotency_key)
        if existing is None:
            raise
        return existing, False
    except BaseException:
        # Nothing uploaded may be left behind without its row.
        default_storage.delete(storage_key)
        raise
    log.info("document_uploaded", document_id=str(document.id), doc_type=doc_type, bytes=image.size)
    return document, True


def start_kyc_workflow(
    *, document_id: uuid.UUID, actor_kind: str = ActorKind.SYSTEM, actor_id: str = ""
) -> Document:
    """Send an uploaded (or failed) document to OCR: `processing`, then the message after commit."""
    document = transition_document(
        document_id=document_id,
        apply=lambda doc: doc.start_processing(),
        actor_kind=actor_kind,
        actor_id=actor_id,
        reason="sent to OCR",
    )
    transaction.on_commit(lambda: dispatch_ocr(document), robust=True)
    return document


def dispatch_ocr(document: Document) -> bool:
    """Put the document's OCR pipeline on the broker and note that it is there.

    A broker outage is logged, not raised: the upload stands with `dispatched_at`
    empty, and the reaper sends it once the broker is back. Nothing uploaded is lost.
    """
    from kyc.tasks import ocr_pipeline

    try:
        ocr_pipeline(
            document_id=str(document.id),
            storage_key=document.storage_key,
            doc_type=document.doc_type,
            correlation_id=document.correlation_id,
            attempt=document.attempts,
        ).run()
    except Exception as error:  # any broker failure: the reaper covers it
        log.error("ocr_dispatch_failed", document_id=str(document.id), error=str(error))
        return False
    # Only while still in the attempt we sent for: a late confirmation must not mark a
    # newer attempt as sent.
    Document.objects.filter(
        pk=document.pk, status=Status.PROCESSING, attempts=document.attempts, dispatched_at__isnull=True
    ).update(dispatched_at=timezone.now())
    log.info("ocr_dispatched", document_id=str(document.id), attempt=document.attempts)
    return True


# --- the OCR result, scoring and the decision ----------------------------------------
def ingest_reading(*, document_id: str, reading_key: str) -> Document | None:
    """Save what the OCR read, score it and decide, in one transaction with the row locked.

    A document no longer in `processing` means this is a duplicate delivery (a
    redelivered or re-sent message after the first one was ingested): it is logged and
    nothing changes. Returns the decided document, or None for a duplicate.
    """
    reading = _load_reading(reading_key)
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("owner").get(pk=document_id)
        if document.status != Status.PROCESSING:
            log.warning("ocr_result_duplicate", document_id=document_id, status=document.status)
            return None
        fields = dict(reading.get("fields") or {})
        OcrResult.objects.update_or_create(
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
        _apply(document, lambda doc: doc.complete_ocr(gpu_processed=gpu), reason="OCR read the card")
        _lock_identity(fields)
        evaluation = scoring.evaluate(
            reading=reading,
            declared_type=document.doc_type,
            applicant=_applicant(document.owner),
            nik_verified_elsewhere=lambda nik: nik_verified_elsewhere(nik=nik, owner=document.owner),
            ktp_fields=_ktp_fields_on_file(document),
        )
        reasons = evaluation.reasons_as_dicts()
        log.info(
            "scoring_done",
            document_id=document_id,
            score=evaluation.score,
            reasons=[r["code"] for r in reasons],
        )
        _apply(
            document,
            lambda doc: doc.record_evaluation(score=evaluation.score, reasons=reasons),
            reason=f"scored {evaluation.score}",
        )
        outcome = scoring.decide(
            evaluation.score,
            approve_above=settings.KYC_APPROVE_ABOVE,
            reject_below=settings.KYC_REJECT_BELOW,
        )
        decide = {
            Status.AUTO_APPROVED: Document.auto_approve,
            Status.AUTO_REJECTED: Document.auto_reject,
            Status.NEEDS_REVIEW: Document.send_to_review,
        }[outcome]
        _apply(document, decide, reason=_decision_reason(outcome, evaluation))
        if outcome == Status.NEEDS_REVIEW:
            document_needs_review.send(sender=Document, document=document)
    log.info(
        "document_decided",
        document_id=document_id,
        outcome=outcome,
        score=evaluation.score,
        reasons=[reason["code"] for reason in reasons],
        gpu_processed=gpu,
    )
    return document


def _lock_identity(fields: dict) -> None:
    """Serialize the decisions about one NIK (PostgreSQL advisory lock until commit), so
    two accounts' cards with the same NIK ingested at once cannot both pass the
    duplicate-identity check."""
    nik = scoring.card_nik(fields)
    if nik and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [nik_blind_index(nik)])


def _apply(
    document: Document, transition: Callable[[Document], None], *, reason: str, actor_id: str = ""
) -> None:
    """One system transition on a document already locked by the caller, saved and audited."""
    before = document.status
    transition(document)
    document.save()
    _record_transition(document, before, actor_kind=ActorKind.SYSTEM, actor_id=actor_id, reason=reason)


def _decision_reason(outcome: str, evaluation: scoring.Evaluation) -> str:
    problems = [reason.code for reason in evaluation.reasons if reason.effect < 0]
    return f"{outcome} at score {evaluation.score}" + (f": {', '.join(problems)}" if problems else "")


def _load_reading(reading_key: str) -> dict:
    with default_storage.open(reading_key, "rb") as stored:
        return json.loads(stored.read())


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
    result = (
        OcrResult.objects.filter(
            document__owner=document.owner, document__doc_type=DocType.KTP, doc_type="KTP"
        )
        .exclude(document__status__in=[Status.AUTO_REJECTED, Status.REJECTED, Status.FAILED])
        .order_by("-created_at")
        .first()
    )
    return dict(result.fields) if result is not None else None


def fail_ocr(*, document_id: str, reason: str, attempt: int | None = None) -> Document | None:
    """The OCR of `attempt` gave up on the document: `failed`, with a reason the client
    can show. Idempotent: a document that has moved on, or is on a newer attempt (the
    reaper re-sent it), is left alone."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status != Status.PROCESSING or (attempt is not None and attempt != document.attempts):
            log.warning(
                "ocr_failure_ignored",
                document_id=document_id,
                status=document.status,
                attempt=attempt,
                current_attempt=document.attempts,
            )
            return None
        _apply(document, lambda doc: doc.fail(reason), reason=reason)
    log.warning("document_failed", document_id=document_id, reason=reason)
    return document


# --- the reaper -----------------------------------------------------------------------
@dataclass
class ReaperReport:
    sent: int = 0  # OCR messages owed (broker was down) and now sent
    resent: int = 0  # stuck past the timeout: another attempt
    failed: int = 0  # stuck with no attempts left
    started: int = 0  # uploaded but never started (crash between commit and start)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "resent": self.resent, "failed": self.failed, "started": self.started}


def reap_stuck_documents(*, now: dt.datetime | None = None) -> ReaperReport:
    """Get every document that lost its way back on it; the database is the source of truth.

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
        return queue_length("ocr-gpu")
    except Exception as error:  # the broker is down: the documents' state decides alone
        log.warning("ocr_backlog_unknown", error=type(error).__name__)
        return 0


def _retry_or_fail(document_id: uuid.UUID, timeout: dt.datetime) -> str:
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if (
            document.status != Status.PROCESSING
            or not document.dispatched_at
            or document.dispatched_at >= timeout
        ):
            return "moved on"  # decided or re-sent since the query
        if document.attempts >= settings.KYC_MAX_ATTEMPTS:
            reason = f"OCR did not finish after {document.attempts} attempts."
            _apply(document, lambda doc: doc.fail(reason), reason=reason, actor_id="reaper")
            log.error("document_failed", document_id=str(document_id), reason=reason)
            return "failed"
        _apply(document, lambda doc: doc.retry(), reason="stuck in processing: sent again", actor_id="reaper")
        transaction.on_commit(lambda: dispatch_ocr(document), robust=True)
    return "resent"
