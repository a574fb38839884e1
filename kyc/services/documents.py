"""Documents: upload, sending to OCR, and OCR giving up."""

import copy
import uuid

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from filot.correlation import current_correlation_id
from filot.deferred import after_response
from filot.errors import Conflict, PayloadTooLarge
from kyc import selectors
from kyc.models import ACTIVE_STATUSES, ActorKind, Document, Status, User
from kyc.services.audit import apply_transition, lock_document, record_transition, transition_document
from kyc.validators import NormalizedImage, Upload, validate_and_normalize

log = structlog.get_logger(__name__)


def _existing_document(*, user: User, sha256: str, idempotency_key: str | None) -> Document | None:
    """The document this upload repeats (`selectors.find_repeated_upload`); its
    Idempotency-Key must have been for the same bytes."""
    found = selectors.find_repeated_upload(owner_id=user.pk, sha256=sha256, idempotency_key=idempotency_key)
    if found is not None and found.idempotency_key == idempotency_key and found.sha256 != sha256:
        raise Conflict("This Idempotency-Key was used for a different file.")
    return found


def _store_original(document_id: uuid.UUID, owner_id: uuid.UUID, image: NormalizedImage) -> str:
    name = f"documents/{owner_id}/{document_id}/original.{image.extension}"
    return default_storage.save(name, ContentFile(image.content))


def _validated_image(file: Upload) -> NormalizedImage:
    try:
        return validate_and_normalize(file)
    except ValidationError as error:
        if error.code == "file_too_large":
            raise PayloadTooLarge(error.messages[0]) from error
        raise ValidationError({"file": error.messages}) from error


def _consented_notice(consent: bool, notice_version: str | None) -> str:
    """The privacy notice version the upload's consent refers to (the current one)."""
    current = settings.PRIVACY_NOTICE_VERSION
    if consent is not True:
        raise ValidationError(
            {"consent": [f"Consent to the privacy notice (version {current}) is required."]}
        )
    if notice_version and notice_version != current:
        raise ValidationError(
            {"privacy_notice_version": [f"The current privacy notice is version {current}."]}
        )
    return current


def _check_may_upload(account: selectors.Uploader) -> None:
    """An erased account uploads nothing; neither does a deactivated person. An
    integrator's applicant is an account that never signs in (inactive by design): its
    uploads come through the client's API key."""
    if account.erased_at is not None:
        raise PermissionDenied("This account's personal data was erased.")
    if not account.is_active and not account.is_applicant:
        raise PermissionDenied("This account is deactivated.")


def submit_document(
    *,
    user: User,
    doc_type: str,
    file: Upload,
    consent: bool,
    notice_version: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Document, bool]:
    """Validate, store and record an upload with its consent; returns (document, created).

    The same bytes re-uploaded while their document is active, or a retried request
    with the same Idempotency-Key, return the existing document instead.
    """
    consented_notice = _consented_notice(consent, notice_version)
    image = _validated_image(file)
    existing = _existing_document(user=user, sha256=image.sha256, idempotency_key=idempotency_key)
    if existing is not None:
        return existing, False
    document_id = uuid.uuid4()
    storage_key = _store_original(document_id, user.id, image)
    try:
        with transaction.atomic():
            # The account's row: an erasure holding it finishes first, and is seen here.
            account = selectors.lock_uploader(user_id=user.pk)
            _check_may_upload(account)
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
                consent_notice_version=consented_notice,
                consented_at=timezone.now(),
            )
            applicant = account.is_applicant
            record_transition(
                document,
                "",
                actor_kind=ActorKind.USER,
                actor_id=str(user.id),
                reason="uploaded",
                owner_is_applicant=applicant,
            )
            # After the response: the upload's own I/O is the stored image and these rows.
            # robust: the upload is committed; a failure to start it must not undo the
            # response or delete its image (the reaper starts documents left `uploaded`).
            # Started from a copy of the row as committed: what this returns stays `uploaded`.
            committed = copy.copy(document)
            transaction.on_commit(
                lambda: after_response(lambda: _start_upload(committed, owner_is_applicant=applicant)),
                robust=True,
            )
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
    """Send an uploaded (or failed) document to OCR: `processing`, then the message after commit.

    A failed document whose bytes were uploaded again meanwhile (another active document
    of the same owner with the same image) is not restarted: Conflict (409), pointing at
    the active one, and nothing changes. Two such restarts racing, or a restart racing
    the re-upload, meet at the database's one-active-document-per-image constraint.
    """
    try:
        document = transition_document(
            document_id=document_id,
            apply=lambda doc: doc.start_processing(),
            actor_kind=actor_kind,
            actor_id=actor_id,
            reason="sent to OCR",
        )
    except IntegrityError as error:
        if ACTIVE_IMAGE_CONSTRAINT not in str(error):
            raise
        raise _active_twin_conflict(document_id) from error
    transaction.on_commit(lambda: dispatch_ocr(document), robust=True)
    return document


def _start_upload(document: Document, *, owner_is_applicant: bool) -> None:
    """`start_kyc_workflow` of a document this process has just uploaded, from the row in
    hand: its UPDATE matches only while the row is still `uploaded` (and locks it), so no
    lock read is needed; if the reaper or a client's `evaluate` started it first, that
    start stands and this one changes nothing."""
    try:
        with transaction.atomic():
            apply_transition(
                document,
                lambda doc: doc.start_processing(),
                reason="sent to OCR",
                owner_is_applicant=owner_is_applicant,
            )
    except ConcurrentTransition:
        log.info("upload_started_elsewhere", document_id=str(document.id))
        return
    transaction.on_commit(lambda: dispatch_ocr(document), robust=True)


ACTIVE_IMAGE_CONSTRAINT = "kyc_document_one_active_per_image"


def _active_twin_conflict(document_id: uuid.UUID | str) -> Conflict:
    document = Document.objects.only("owner_id", "sha256").get(pk=document_id)
    twin = (
        Document.objects.filter(
            owner_id=document.owner_id, sha256=document.sha256, status__in=ACTIVE_STATUSES
        )
        .exclude(pk=document_id)
        .values_list("id", flat=True)
        .first()
    )
    return Conflict(
        "The same image is being verified in another document: follow that one instead.",
        details={"active_document_id": str(twin) if twin else None},
    )


def dispatch_ocr(document: Document) -> bool:
    """Put the document's OCR pipeline on the broker and note that it is there.

    A broker outage is logged, not raised: the upload stands with `dispatched_at`
    empty, and the reaper sends it once the broker is back. Nothing uploaded is lost.
    """
    # The house rule (docs/DESIGN.md): a service reaches its actors through a lazy
    # import in the one function that sends; actor modules import services at the top.
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


def fail_ocr(*, document_id: str, reason: str, attempt: int | None = None) -> Document | None:
    """The OCR of `attempt` gave up on the document: `failed`, with a reason the client
    can show. Idempotent: a document that has moved on, or is on a newer attempt (the
    reaper re-sent it), is left alone."""
    with transaction.atomic():
        document = lock_document(document_id)
        if document.status != Status.PROCESSING or (attempt is not None and attempt != document.attempts):
            log.warning(
                "ocr_failure_ignored",
                document_id=document_id,
                status=document.status,
                attempt=attempt,
                current_attempt=document.attempts,
            )
            return None
        apply_transition(document, lambda doc: doc.fail(reason), reason=reason)
    log.warning("document_failed", document_id=document_id, reason=reason)
    return document
