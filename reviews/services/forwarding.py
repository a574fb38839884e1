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
    """BULI2's signed decision. Returns (review, changed); a replayed event changes nothing.

    Callbacks of one review are serialized on its row lock, so of N identical callbacks
    at once exactly one records the event (changed) and the others find it (replayed).
    """
    with transaction.atomic():
        lock_review(review_id)
        if ReviewEvent.objects.filter(external_event_id=event_id, review_id=review_id).exists():
            return ManualReview.objects.get(pk=review_id), False
        if ReviewEvent.objects.filter(external_event_id=event_id).exists():
            raise Conflict("This event id belongs to another review.")
        try:
            review = complete_manual_review(
                review_id=review_id, decision=decision, reason=reason, actor=BULI2, event_id=event_id
            )
        except IntegrityError as error:
            # The same event id recorded at this moment for another review.
            raise Conflict("This event id belongs to another review.") from error
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
        if locked.state not in (ReviewState.OPEN, ReviewState.CLAIMED):
            # Decided (or failed) here meanwhile: BULI2 has a case it cannot be told about
            # (no withdraw call); its callback is then answered as a replay or a conflict.
            log.warning("review_forwarded_after_decision", state=locked.state, **context)
            locked.buli2_review_id = buli2_review_id[:128]
            locked.save(update_fields=["buli2_review_id", "updated_at"])
            return locked
        before = locked.state
        # A reviewer claimed it while it was being sent: BULI2 has the case and decides
        # it (the ownership rule), so the claim ends, in the trail.
        why = (
            "BULI2 took the case while it was claimed here; the claim ends"
            if before == ReviewState.CLAIMED
            else ""
        )
        locked.forward(buli2_review_id=buli2_review_id)
        locked.save()
        record_event(locked, ReviewAction.FORWARDED, SYSTEM, from_state=before, reason=why)
    log.info("review_forwarded", buli2_review_id=buli2_review_id, **context)
    return locked
