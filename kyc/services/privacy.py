"""Personal data (UU PDP): the owner's export and erasure, legal holds, and the scrub
that erasure and the retention purge share.

Removing a document's personal data keeps its anonymised record: status, score,
reason codes, timestamps and its audit trail (with the free text people wrote in it
replaced), so statistics and the audit stay whole. Files leave storage only after the
removal commits (`remove_document_files`); a deletion that fails is retried by the next
`purge_expired_data` run (`files_removed_at` still empty).
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

import structlog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from filot.errors import Conflict
from kyc.models import (
    ActorKind,
    Document,
    DocumentTransition,
    LegalHold,
    OcrResult,
    PrivacyAction,
    PrivacyEvent,
    Profile,
    Status,
    User,
)
from kyc.services.audit import write_audit_row
from kyc.signals import personal_data_removed

log = structlog.get_logger(__name__)

# What replaces free text people wrote into audit rows (it may name the applicant).
REMOVED_TEXT = "[removed: personal data]"
# Actors whose audit reasons are free text; the system's are generated from codes.
FREE_TEXT_ACTORS = (ActorKind.REVIEWER, ActorKind.BULI2, ActorKind.OPERATOR)
# Statuses in which a document is still on its way through the pipeline.
IN_FLIGHT = (Status.UPLOADED, Status.PROCESSING, Status.OCR_COMPLETED, Status.AI_EVALUATED)


def record_privacy_event(
    *,
    subject: User,
    action: str,
    actor_kind: str,
    actor_id: str = "",
    reason: str = "",
    document: Document | None = None,
) -> PrivacyEvent:
    return write_audit_row(
        PrivacyEvent,
        about=document,
        actor_kind=actor_kind,
        actor_id=actor_id,
        reason=reason,
        subject=subject,
        document=document,
        action=action,
    )


# --- removing a document's personal data ---------------------------------------------
def scrub_document(*, document: Document, at: dt.datetime) -> None:
    """Remove the personal data of a document the caller has locked, in the database.
    The anonymised row, its score, reasons and audit trail stay. The caller deletes the
    files once its transaction is over (`remove_files_after`)."""
    OcrResult.objects.filter(document=document).update(fields={}, nik_hash="", checks=[])
    DocumentTransition.objects.filter(document=document, actor_kind__in=FREE_TEXT_ACTORS).exclude(
        reason=""
    ).update(reason=REMOVED_TEXT)
    # Not the image's hash any more (it would say which image it was), yet unique per
    # document: "one active document per image" holds among an applicant's decided rows.
    document.sha256 = f"removed-{document.id.hex}"
    document.idempotency_key = ""
    document.personal_data_removed_at = at
    document.save(update_fields=["sha256", "idempotency_key", "personal_data_removed_at", "updated_at"])
    # Other apps (reviews) scrub what they hold about the document, in this transaction.
    personal_data_removed.send(sender=Document, document=document)


def remove_files_after(documents: list[Document]) -> int:
    """Delete the files of documents whose removal has just committed. Run after the
    transaction block, never inside it (no storage I/O under row locks); a failure is
    logged and left to the next purge run (`files_removed_at` stays empty)."""
    removed = 0
    for document in documents:
        try:
            removed += remove_document_files(document_id=document.pk, storage_key=document.storage_key)
        except Exception as error:  # storage unreachable: purge_expired_data tries again
            log.error("document_files_remove_failed", document_id=str(document.pk), error=str(error))
    return removed


def document_files(*, storage_key: str, document_id: uuid.UUID) -> list[str]:
    """Every file stored for a document: the image and each reading beside it."""
    folder = storage_key.rsplit("/", 1)[0]
    try:
        _, names = default_storage.listdir(folder)
    except FileNotFoundError:
        names = []
    files = {f"{folder}/{name}" for name in names}
    reading_key = OcrResult.objects.filter(document_id=document_id).values_list("reading_key", flat=True)
    files.update(key for key in reading_key if key)
    return sorted(files)


def remove_document_files(*, document_id: uuid.UUID, storage_key: str) -> int:
    """Delete a document's files from storage (after its removal committed); returns how
    many were deleted. Raises on a storage failure, leaving `files_removed_at` empty."""
    removed = 0
    for name in document_files(storage_key=storage_key, document_id=document_id):
        if default_storage.exists(name):
            default_storage.delete(name)
            removed += 1
    Document.objects.filter(pk=document_id).update(files_removed_at=timezone.now())
    log.info("document_files_removed", document_id=str(document_id), files=removed)
    return removed


# --- the owner's rights: erasure -------------------------------------------------------
@dataclass
class ErasureReport:
    user_id: uuid.UUID
    documents: list[uuid.UUID] = field(default_factory=list)
    erased_at: dt.datetime | None = None


def _refuse_erasure(user: User, documents: list[Document]) -> None:
    if LegalHold.objects.filter(user=user).exists():
        raise Conflict(
            "This account's data is under legal hold and cannot be erased until the hold is lifted."
        )
    if any(document.status == Status.NEEDS_REVIEW for document in documents):
        raise Conflict("A document is under review; erasure is possible once the review is decided.")
    if any(document.status in IN_FLIGHT for document in documents):
        raise Conflict("A document is still being processed; try again in a few minutes.")


def erase_personal_data(
    *, user_id: uuid.UUID, actor_kind: str, actor_id: str = "", reason: str = ""
) -> ErasureReport:
    """Erase a person's personal data and images; the account stays, deactivated, and
    the audit rows stay without personal values.

    Refused (Conflict) under legal hold, while a review is open or while a document is
    in the pipeline. The account row and every document row are locked, so an upload,
    a decision or a legal hold racing the erasure either happens before it (and is seen
    here) or after it (and finds the account deactivated and its documents removed).
    """
    with transaction.atomic():
        # NO KEY UPDATE: a decision committing meanwhile (its foreign-key check takes KEY
        # SHARE on this row) is not blocked, while uploads and purges wait for us.
        user = User.objects.select_for_update(no_key=True).get(pk=user_id)
        documents = list(Document.objects.select_for_update(of=("self",)).filter(owner=user).order_by("pk"))
        if user.erased_at is not None:
            return ErasureReport(user_id=user.pk, erased_at=user.erased_at)
        _refuse_erasure(user, documents)
        now = timezone.now()
        for document in documents:
            if document.personal_data_removed_at is None:
                scrub_document(document=document, at=now)
        _scrub_account(user, now)
        record_privacy_event(
            subject=user, action=PrivacyAction.ERASED, actor_kind=actor_kind, actor_id=actor_id, reason=reason
        )
    remove_files_after([document for document in documents if document.files_removed_at is None])
    log.info("personal_data_erased", user_id=str(user.pk), documents=len(documents), actor_kind=actor_kind)
    return ErasureReport(user_id=user.pk, documents=[document.pk for document in documents], erased_at=now)


def _scrub_account(user: User, now: dt.datetime) -> None:
    Profile.objects.filter(user=user).update(
        full_name="", date_of_birth=None, nik="", nik_hash="", phone="", updated_at=now
    )
    user.email = f"erased-{user.pk}@erased.invalid"
    user.set_unusable_password()
    user.is_active = False
    user.erased_at = now
    user.save(update_fields=["email", "password", "is_active", "erased_at"])
    # The admin's change log names the account by its email.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=str(user.pk), change_message="")


# --- legal holds -----------------------------------------------------------------------
def place_legal_hold(*, user: User, reason: str, placed_by: User) -> LegalHold:
    """Keep a person's data (no purge, no erasure) until lifted; who and why recorded."""
    reason = " ".join(reason.split())
    if not reason:
        from django.core.exceptions import ValidationError

        raise ValidationError({"reason": ["A legal hold needs a reason."]})
    with transaction.atomic():
        subject = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        if subject.erased_at is not None:
            raise Conflict("This account's personal data was already erased.")
        hold, created = LegalHold.objects.get_or_create(
            user=subject, defaults={"reason": reason[:500], "placed_by": placed_by}
        )
        if created:
            record_privacy_event(
                subject=subject,
                action=PrivacyAction.HOLD_PLACED,
                actor_kind=ActorKind.OPERATOR,
                actor_id=str(placed_by.pk),
                reason=reason,
            )
    return hold


def lift_legal_hold(*, user: User, lifted_by: User, reason: str = "") -> None:
    with transaction.atomic():
        subject = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        deleted, _ = LegalHold.objects.filter(user=subject).delete()
        if deleted:
            record_privacy_event(
                subject=subject,
                action=PrivacyAction.HOLD_LIFTED,
                actor_kind=ActorKind.OPERATOR,
                actor_id=str(lifted_by.pk),
                reason=reason,
            )


# --- the owner's rights: access (export) ----------------------------------------------
def export_personal_data(*, user: User, actor_kind: str, actor_id: str = "", reason: str = "") -> dict:
    """Everything held about `user`, unmasked (it is theirs), and the export audited."""
    with transaction.atomic():
        record_privacy_event(
            subject=user,
            action=PrivacyAction.EXPORTED,
            actor_kind=actor_kind,
            actor_id=actor_id,
            reason=reason,
        )
    profile = Profile.objects.filter(user=user).first()
    documents = Document.objects.filter(owner=user).select_related("ocr_result").order_by("created_at")
    return {
        "exported_at": timezone.now(),
        "account": {
            "id": user.pk,
            "email": user.email,
            "date_joined": user.date_joined,
            "is_active": user.is_active,
            "erased_at": user.erased_at,
        },
        "profile": {
            "full_name": profile.full_name if profile else "",
            "date_of_birth": profile.date_of_birth if profile else None,
            "nik": profile.nik if profile else "",
            "phone": profile.phone if profile else "",
            "updated_at": profile.updated_at if profile else None,
        },
        "documents": [_document_export(document) for document in documents],
        "privacy_events": [
            {"action": event.action, "at": event.at, "actor_kind": event.actor_kind, "reason": event.reason}
            for event in user.privacy_events.order_by("at", "id")
        ],
    }


def _document_export(document: Document) -> dict:
    reading = getattr(document, "ocr_result", None)
    stored = document.personal_data_removed_at is None
    return {
        "id": document.pk,
        "doc_type": document.doc_type,
        "status": document.status,
        "score": document.score,
        "decision": document.status if document.is_terminal else None,
        "reasons": document.reasons,
        "fields": dict(reading.fields) if reading is not None else {},
        "confidence": dict(reading.confidence) if reading is not None else {},
        "failure_reason": document.failure_reason,
        "image": {
            "url": f"/api/v1/documents/{document.pk}/image" if stored else None,
            "content_type": f"image/{document.detected_type}",
            "width": document.width,
            "height": document.height,
            "size_bytes": document.size_bytes,
        },
        "consent": {"notice_version": document.consent_notice_version, "given_at": document.consented_at},
        "created_at": document.created_at,
        "decided_at": document.decided_at,
        "personal_data_removed_at": document.personal_data_removed_at,
        "timeline": [
            {
                "from_status": row.from_status,
                "to_status": row.to_status,
                "at": row.at,
                "actor_kind": row.actor_kind,
                "reason": row.reason,
            }
            for row in document.transitions.order_by("at", "id")
        ],
    }
