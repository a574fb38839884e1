"""Document changes become webhook events: rows in the outbox, in the same transaction.

`record_document_event` is called by `kyc.services.audit.record_transition` for every
status change of a document (inside the transaction that makes it). For a document of
an API-key applicant it writes one `WebhookDelivery` per subscribed endpoint, recomputes
the applicant's overall status (and writes `applicant.status_changed` when it moved),
and asks for delivery once the transaction commits. Payloads are slim: ids, the
client's `external_id`, statuses and reason codes; never a NIK, a name or an image.
"""

import secrets
import uuid

import structlog
from django.db import transaction
from django.utils import timezone

from kyc.integrations.applicants import overall_status
from kyc.integrations.models import Applicant, WebhookDelivery, WebhookEndpoint, WebhookEvent
from kyc.models import TERMINAL_STATUSES, Document, Status

log = structlog.get_logger(__name__)
_DOCUMENT_EVENTS = {
    **dict.fromkeys(TERMINAL_STATUSES, WebhookEvent.DOCUMENT_DECIDED),
    Status.NEEDS_REVIEW: WebhookEvent.DOCUMENT_NEEDS_REVIEW,
    Status.FAILED: WebhookEvent.DOCUMENT_FAILED,
}


def new_message_id() -> str:
    return f"msg_{secrets.token_hex(16)}"


def record_document_event(
    *, document: Document, owner_is_applicant: bool | None = None
) -> list[WebhookDelivery]:
    """The outbox rows for the status `document` just moved to (none for a JWT user's).

    `owner_is_applicant=False` (the caller read it: an account is an applicant's from its
    creation, or never) spares the look-up of an `Applicant` row there is none of."""
    if owner_is_applicant is False:
        return []
    event_type = _DOCUMENT_EVENTS.get(document.status)
    applicant = Applicant.objects.select_for_update().filter(user_id=document.owner_id).first()
    if applicant is None:
        return []
    rows = []
    if event_type is not None:
        rows += emit_event(
            applicant=applicant, event_type=event_type, data=document_data(applicant, document)
        )
    status = overall_status(user=document.owner)
    if status != applicant.status:
        previous, applicant.status = applicant.status, status
        applicant.save(update_fields=["status", "updated_at"])
        data = {**applicant_data(applicant), "previous_status": previous}
        rows += emit_event(applicant=applicant, event_type=WebhookEvent.APPLICANT_STATUS_CHANGED, data=data)
    return rows


def document_data(applicant: Applicant, document: Document) -> dict:
    return {
        "applicant_id": str(applicant.id),
        "external_id": applicant.external_id,
        "document_id": str(document.id),
        "doc_type": document.doc_type,
        "status": document.status,
        "decision": document.status if document.is_terminal else None,
        "reason_codes": [reason["code"] for reason in document.reasons or [] if reason.get("effect", 0) < 0],
        "retake_hint": document.resubmission_hint or None,
    }


def applicant_data(applicant: Applicant) -> dict:
    return {
        "applicant_id": str(applicant.id),
        "external_id": applicant.external_id,
        "status": applicant.status,
    }


def emit_event(*, applicant: Applicant, event_type: str, data: dict) -> list[WebhookDelivery]:
    """One outbox row per endpoint of the applicant's key that wants `event_type`; each
    is sent after commit (and by the sweep, should that send never happen)."""
    endpoints = WebhookEndpoint.objects.filter(api_key_id=applicant.api_key_id, removed_at__isnull=True)
    now = timezone.now()
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    rows = [
        WebhookDelivery.objects.create(
            message_id=new_message_id(),
            endpoint=endpoint,
            event_type=event_type,
            payload=payload,
            next_attempt_at=now,
        )
        for endpoint in endpoints
        if event_type in endpoint.events
    ]
    if rows:
        ids = [row.id for row in rows]
        transaction.on_commit(lambda: send_deliveries(delivery_ids=ids), robust=True)
    return rows


def send_deliveries(*, delivery_ids: list[uuid.UUID], delay_ms: int = 0) -> None:
    """Put each delivery's message on the broker (after `delay_ms`); a broker outage
    leaves it to the sweep, which re-sends every delivery overdue in the outbox."""
    # The house rule: a service reaches its actor through a lazy import in the one
    # function that sends.
    from kyc.integrations.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.send_with_options(args=(str(delivery_id),), delay=delay_ms or None)
        except Exception as error:  # any broker failure: the sweep re-sends it
            log.error("webhook_send_failed", delivery_id=str(delivery_id), error=str(error))
