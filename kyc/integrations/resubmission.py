"""Asking for a re-upload instead of a final reject: `resubmission_requested`.

A reviewer (through the back office, #14's case pages or the admin) or the scorer (an
automatic reject caused only by the photo's quality) asks for a retake with a hint. The
document moves to `resubmission_requested` (audited), its applicant becomes
`action_required` and the webhooks fire (kyc.integrations.events, through the audit
writer). The reviewer's own note goes to the audit row only, never to a client.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from kyc import scoring
from kyc.integrations.messages import RETAKE_HINTS
from kyc.models import ActorKind, Document
from kyc.services.audit import apply_transition, lock_document

# Reasons a better photo can fix, and the hint each one gives.
_RETAKE_FOR_REASON = {
    "image_glare": "glare",
    "image_blurry": "blurred",
    "image_low_resolution": "too_small",
    "low_ocr_confidence": "blurred",
}


def request_resubmission(
    *, document_id: uuid.UUID | str, hint: str, actor_kind: str, actor_id: str = "", note: str = ""
) -> Document:
    """Ask for a re-upload of an `ai_evaluated` or `needs_review` document (409 otherwise)."""
    if hint not in RETAKE_HINTS:
        raise ValidationError({"hint": [f"Choose one of: {', '.join(RETAKE_HINTS)}."]})
    with transaction.atomic():
        document = lock_document(document_id)
        apply_transition(
            document,
            lambda doc: doc.request_resubmission(hint=hint),
            reason=" ".join(f"re-upload asked: {hint}. {note}".split()),
            actor_kind=actor_kind,
            actor_id=actor_id,
        )
    return document


def retake_hint_for(evaluation: scoring.Evaluation) -> str | None:
    """The scorer's retake hint when every problem found is one a better photo fixes."""
    problems = [reason.code for reason in evaluation.reasons if reason.effect < 0]
    if problems and all(code in _RETAKE_FOR_REASON for code in problems):
        return _RETAKE_FOR_REASON[problems[0]]
    return None


def request_retake_by_scorer(*, document: Document, evaluation: scoring.Evaluation) -> bool:
    """On the locked `ai_evaluated` document the scorer would reject: a retake instead,
    when a better photo could fix it. True when it asked."""
    hint = retake_hint_for(evaluation)
    if hint is None:
        return False
    apply_transition(
        document,
        lambda doc: doc.request_resubmission(hint=hint),
        reason=f"re-upload asked by the scorer: {hint}",
        actor_kind=ActorKind.SYSTEM,
    )
    return True
