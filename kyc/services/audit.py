"""The audit trail's one writer, for documents and reviews alike.

Every status change of a document and every action on a review writes one row, inside
the transaction that makes the change: who (actor kind and id), why (reason, cut to
the column), and the correlation id of the request or message that caused it (the
document's own when none is bound). `kyc.DocumentTransition` and
`reviews.ReviewEvent` share those columns.
"""

import copy
import uuid
from collections.abc import Callable
from typing import TypeVar

import structlog
from django.db import models, transaction

from filot.correlation import current_correlation_id
from kyc.integrations.events import record_document_event
from kyc.models import ActorKind, Document, DocumentTransition

log = structlog.get_logger(__name__)
Row = TypeVar("Row", bound=models.Model)
REASON_LENGTH = 500  # the audit models' `reason` column


def write_audit_row(
    model: type[Row],
    *,
    about: Document | None,
    actor_kind: str,
    actor_id: str = "",
    reason: str = "",
    **row: object,
) -> Row:
    """One audit row of `model`, about a document (or a review of it, or, with None, a
    person): its correlation id falls back to the document's."""
    return model._default_manager.create(
        actor_kind=actor_kind,
        actor_id=actor_id,
        reason=reason[:REASON_LENGTH],
        correlation_id=current_correlation_id() or (about.correlation_id if about is not None else ""),
        **row,
    )


def record_transition(
    document: Document,
    from_status: str,
    *,
    actor_kind: str,
    actor_id: str = "",
    reason: str = "",
    owner_is_applicant: bool | None = None,
) -> DocumentTransition:
    """The audit row of one status change, and its log line once the change commits.
    `owner_is_applicant`: as `record_document_event` takes it (None: not known here)."""
    transition = write_audit_row(
        DocumentTransition,
        about=document,
        document=document,
        actor_kind=actor_kind,
        actor_id=actor_id,
        reason=reason,
        from_status=from_status,
        to_status=document.status,
    )
    # No reason text in the log: a reviewer's words may hold personal data.
    line = {
        "document_id": str(document.id),
        "from_status": from_status,
        "to_status": document.status,
        "actor_kind": actor_kind,
        "correlation_id": transition.correlation_id,
    }
    transaction.on_commit(lambda: log.info("document_status_changed", **line))
    # An API-key applicant's document: its webhook events go to the outbox, in this transaction.
    record_document_event(document=document, owner_is_applicant=owner_is_applicant)
    return transition


def apply_transition(
    document: Document,
    transition: Callable[[Document], None],
    *,
    reason: str,
    actor_kind: str = ActorKind.SYSTEM,
    actor_id: str = "",
    owner_is_applicant: bool | None = None,
) -> None:
    """One transition on a document the caller has locked, saved and audited.

    Only the fields the transition changed are written (with the status and
    `updated_at`), under django-fsm's guard: the UPDATE matches the row only in the
    status the document was read in (`ConcurrentTransition` otherwise), so a document
    held as this process last wrote it needs no lock read first (an upload's start)."""
    before_status = document.status
    before = _field_values(document)
    transition(document)
    changed = [name for name, value in before.items() if getattr(document, name) != value]
    document.save(update_fields=[*_ALWAYS_SAVED, *changed])
    record_transition(
        document,
        before_status,
        actor_kind=actor_kind,
        actor_id=actor_id,
        reason=reason,
        owner_is_applicant=owner_is_applicant,
    )


_ALWAYS_SAVED = ("status", "updated_at")
_COMPARED = tuple(
    field.attname
    for field in Document._meta.concrete_fields
    if not field.primary_key and field.attname not in _ALWAYS_SAVED
)


def _field_values(document: Document) -> dict[str, object]:
    """The fields a transition may change, as they are now (a JSON value copied: a
    transition that changed it in place must still be seen to have changed it)."""
    values = {name: getattr(document, name) for name in _COMPARED}
    return {name: copy.deepcopy(v) if isinstance(v, list | dict) else v for name, v in values.items()}


def lock_document(document_id: uuid.UUID | str) -> Document:
    """The document's row, locked until commit (only its own row: never its owner's)."""
    return Document.objects.select_for_update(of=("self",)).get(pk=document_id)


def transition_document(
    *,
    document_id: uuid.UUID | str,
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
        document = lock_document(document_id)
        apply_transition(document, apply, reason=reason, actor_kind=actor_kind, actor_id=actor_id)
    return document
