"""BULI2's side of the workflow: forwarding a review out, recording its signed decision."""

import uuid

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction

from filot.errors import Conflict
from reviews.models import ManualReview, ReviewAction, ReviewEvent, ReviewState
from reviews.services.workflow import BULI2, SYSTEM, complete_manual_review, lock_review, record_event

log = structlog.get_logger(__name__)


def record_buli2_callback(
    *, review_id: uuid.UUID, event_id: str, decision: str, reason: str
) -> tuple[ManualReview, bool]:
    """BULI2's signed decision. Returns (review, changed); a replayed event changes nothing."""
    if ReviewEvent.objects.filter(external_event_id=event_id, review_id=review_id).exists():
        return ManualReview.objects.get(pk=review_id), False
    if ReviewEvent.objects.filter(external_event_id=event_id).exists():
        raise Conflict("This event id belongs to another review.")
    try:
        review = complete_manual_review(
            review_id=review_id, decision=decision, reason=reason, actor=BULI2, event_id=event_id
        )
    except IntegrityError:
        # The same event delivered twice at once: the other delivery recorded it.
        return ManualReview.objects.get(pk=review_id), False
    # False when the review already carried this decision (from a reviewer or an earlier event).
    return review, ReviewEvent.objects.filter(external_event_id=event_id).exists()


# --- BULI2 forwarding ----------------------------------------------------------------
def forward_review(*, review_id: uuid.UUID | str) -> ManualReview:
    """Send an open review to BULI2 (the actor's one call); quiet when already done.

    The HTTP call runs outside any transaction. On failure the review stays `open`
    in the admin queue with the error shown, and the error is raised so the actor's
    own retries try again later (after the circuit's cool-down).
    """
    from reviews import buli2

    review = ManualReview.objects.select_related("document").get(pk=review_id)
    context = {"review_id": str(review.id), "document_id": str(review.document_id)}
    if review.state != ReviewState.OPEN or review.buli2_review_id or not settings.BULI2_ENABLED:
        log.info("review_forward_skipped", state=review.state, **context)
        return review
    try:
        buli2_review_id = buli2.send_review(review)
    except buli2.Buli2Error as error:
        with transaction.atomic():
            locked = lock_review(review.id)
            locked.forward_error = str(error)[:300]
            locked.save(update_fields=["forward_error", "updated_at"])
            record_event(
                locked, ReviewAction.FORWARD_FAILED, SYSTEM, from_state=locked.state, reason=str(error)
            )
        log.warning("review_forward_failed", error=str(error), **context)
        raise
    with transaction.atomic():
        locked = lock_review(review.id)
        if locked.state != ReviewState.OPEN:
            # A reviewer claimed it meanwhile: BULI2 has it too, the claim decides first.
            log.info("review_forwarded_after_claim", state=locked.state, **context)
            locked.buli2_review_id = buli2_review_id[:128]
            locked.save(update_fields=["buli2_review_id", "updated_at"])
            return locked
        before = locked.state
        locked.forward(buli2_review_id=buli2_review_id)
        locked.save()
        record_event(locked, ReviewAction.FORWARDED, SYSTEM, from_state=before)
    log.info("review_forwarded", buli2_review_id=buli2_review_id, **context)
    return locked
