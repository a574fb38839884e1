"""Every write of the kyc app: accounts, profiles, documents and their lifecycle.

Writes share one shape: inside `transaction.atomic()` lock the row, call the
transition, save the changed fields, write the audit row; anything that leaves the
process (storage deletes, broker messages) runs after commit.
"""

import datetime as dt
import uuid
from collections.abc import Callable

import structlog
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from filot.correlation import current_correlation_id
from filot.errors import Conflict, PayloadTooLarge
from kyc.crypto import nik_blind_index
from kyc.models import ACTIVE_STATUSES, ActorKind, Document, DocumentTransition, Profile, User
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
            transaction.on_commit(lambda: start_kyc_workflow(document_id=document_id))
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
    transaction.on_commit(lambda: dispatch_ocr(document))
    return document


def dispatch_ocr(document: Document) -> None:
    """Put the document on the OCR queue. A broker outage is logged, not raised:
    the upload stands, and the reaper re-sends documents stuck in `processing`."""
    from ocr_gpu.tasks import recognize

    try:
        recognize.send_with_options(
            args=(str(document.id), document.storage_key, document.doc_type),
            correlation_id=document.correlation_id,
        )
    except Exception as error:  # any broker failure: the reaper covers it
        log.error("ocr_dispatch_failed", document_id=str(document.id), error=str(error))
