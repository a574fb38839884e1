"""The manual-review workflow: open, claim, release, complete, fail, reopen, reveal.

Writes share kyc's shape: inside `transaction.atomic()` lock the review, call its
transition, save, write a `ReviewEvent`; the document's own status changes through
`kyc.services.transition_document` in the same transaction, so the two never
disagree. Anything that leaves the process (the BULI2 message) runs after commit.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filot import metrics
from filot.errors import Conflict
from kyc import services as kyc_services
from kyc.crypto import mask_nik
from kyc.labels import document_status
from kyc.models import ActorKind, Document, OcrResult, Profile, Status, User
from kyc.services import lock_document, transition_document, write_audit_row
from reviews.models import (
    WORKABLE_STATES,
    Decision,
    ManualReview,
    ReviewAction,
    ReviewEvent,
    ReviewState,
)
from reviews.reason_texts import review_state

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who acts on a review: a reviewer (by user id), BULI2, or the system."""

    kind: str
    id: str = ""
    user_id: uuid.UUID | None = None

    @classmethod
    def reviewer(cls, user: User) -> "Actor":
        return cls(kind=ActorKind.REVIEWER, id=str(user.pk), user_id=user.pk)


BULI2 = Actor(kind=ActorKind.BULI2, id="buli2")
SYSTEM = Actor(kind=ActorKind.SYSTEM)


# --- the audit trail -----------------------------------------------------------------
def record_event(
    review: ManualReview,
    action: str,
    actor: Actor,
    *,
    from_state: str = "",
    reason: str = "",
    external_event_id: str | None = None,
) -> ReviewEvent:
    return write_audit_row(
        ReviewEvent,
        about=review.document,
        actor_kind=actor.kind,
        actor_id=actor.id,
        reason=reason,
        review=review,
        action=action,
        from_state=from_state,
        to_state=review.state,
        external_event_id=external_event_id,
    )


def _change(
    review_id: uuid.UUID | str,
    action: str,
    actor: Actor,
    apply: Callable[[ManualReview], None],
    *,
    reason: str = "",
) -> ManualReview:
    """Lock the review, run one transition, save it and record the event."""
    with transaction.atomic():
        review = lock_review(review_id)
        before = review.state
        apply(review)
        review.save()
        record_event(review, action, actor, from_state=before, reason=reason)
    log.info(f"review_{action}", review_id=str(review.id), document_id=str(review.document_id))
    return review


def lock_review(review_id: uuid.UUID | str) -> ManualReview:
    """The review and its document, locked until commit: the document first, then the
    review, the order every path takes (kyc locks the document, then a receiver of its
    signals the review), so a reviewer's decision and a re-score never deadlock."""
    document_id = ManualReview.objects.values_list("document_id", flat=True).get(pk=review_id)
    lock_document(document_id)
    return (
        ManualReview.objects.select_for_update(of=("self", "document"))
        .select_related("document")
        .get(pk=review_id)
    )


def record_nik_reveal(*, review: ManualReview, user: User, reason: str) -> ReviewEvent:
    """Audit one reveal of the full NIK and the unblurred card, with the reviewer's reason."""
    if not user.has_perm("reviews.reveal_nik"):
        raise PermissionDenied(_("Revealing the NIK needs the reveal_nik permission."))
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": [_("A reason is required to reveal the NIK.")]})
    event = record_event(
        review, ReviewAction.NIK_REVEALED, Actor.reviewer(user), from_state=review.state, reason=reason
    )
    log.info("review_nik_revealed", review_id=str(review.id), document_id=str(review.document_id))
    return event


# --- the workflow ------------------------------------------------------------------
def _nik_masked(document: Document) -> str:
    """The card's NIK, masked; the applicant's declared one when the OCR could not read it."""
    # Read afresh: the sender's instance may hold a stale (empty) cache of its reading.
    reading = OcrResult.objects.filter(document_id=document.pk).first()
    nik = (reading.fields or {}).get("nik", "") if reading is not None else ""
    if not nik:
        nik = Profile.objects.filter(user_id=document.owner_id).values_list("nik", flat=True).first() or ""
    return mask_nik(nik) if nik else ""


def open_manual_review(*, document: Document, reason: str = "") -> ManualReview:
    """Open the review of a document that needs one; idempotent (one review per document).

    Called inside the transaction that moved the document to `needs_review` (the
    `document_needs_review` signal), so the two commit or roll back together. `reason`
    says why a human decides it when it is not the score alone (an NPWP whose KTP has
    not passed).
    """
    with transaction.atomic():
        review, created = ManualReview.objects.get_or_create(
            document=document, defaults={"nik_masked": _nik_masked(document)}
        )
        if not created:
            return review
        record_event(review, ReviewAction.OPENED, SYSTEM, reason=reason or "the score needs a human")
        if settings.BULI2_ENABLED:
            transaction.on_commit(lambda: _send_forward(review.id))
    log.info("review_opened", review_id=str(review.id), document_id=str(document.id))
    return review


def _send_forward(review_id: uuid.UUID) -> None:
    from reviews.tasks import forward_review

    try:
        forward_review.send(str(review_id))
    except Exception as error:  # broker down: the review is in the admin queue anyway
        log.error("review_forward_not_sent", review_id=str(review_id), error=str(error))


def claim_review(*, review_id: uuid.UUID | str, user: User) -> ManualReview:
    """Take (or extend) a claim; refused while someone else's claim holds."""
    actor = Actor.reviewer(user)
    until = timezone.now() + dt.timedelta(minutes=settings.REVIEW_CLAIM_MINUTES)

    def apply(review: ManualReview) -> None:
        if review.claimed_by_other(user.pk):
            raise Conflict(
                _("%(who)s holds this review until %(until)s.")
                % {"who": review.assignee, "until": f"{timezone.localtime(review.claim_expires_at):%H:%M %Z}"}
            )
        if review.state not in WORKABLE_STATES:
            raise Conflict(_("A %(state)s review cannot be claimed.") % {"state": review_state(review.state)})
        _check_not_with_buli2(review, actor)
        review.claim(user=user, until=until)

    return _change(review_id, ReviewAction.CLAIMED, actor, apply)


def release_review(*, review_id: uuid.UUID | str, user: User) -> ManualReview:
    """Give a claim back; a no-op when the review is not claimed."""
    with transaction.atomic():
        review = lock_review(review_id)
        if review.state != ReviewState.CLAIMED:
            return review
        if review.claimed_by_other(user.pk):
            raise Conflict(_("Only the reviewer holding the claim can release it before it expires."))
    return _change(review_id, ReviewAction.RELEASED, Actor.reviewer(user), lambda r: r.release())


def complete_manual_review(
    *, review_id: uuid.UUID | str, decision: str, reason: str, actor: Actor, event_id: str | None = None
) -> ManualReview:
    """Approve or reject the document (a reviewer's or BULI2's decision); idempotent.

    A reviewer must hold the claim; BULI2 may decide unless a reviewer holds it. The
    same decision on a completed review returns it unchanged; any other is a conflict.
    """
    if decision not in Decision.values:
        raise ValidationError({"decision": [f"Choose one of: {', '.join(Decision.values)}."]})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("A decision needs a reason.")]})
    with transaction.atomic():
        review = lock_review(review_id)
        if (
            review.state == ReviewState.COMPLETED
            and review.decision == decision
            and _decided_by(review, actor)
        ):
            return review  # the same decision again (a replay, a double click)
        _check_may_decide(review, actor)
        before = review.state
        review.complete(decision=decision, reason=reason, actor_kind=actor.kind, actor_id=actor.id)
        review.save()
        review.document = transition_document(
            document_id=review.document_id,
            apply=(lambda doc: doc.approve()) if decision == Decision.APPROVE else (lambda doc: doc.reject()),
            actor_kind=actor.kind,
            actor_id=actor.id,
            reason=reason,
        )
        record_event(
            review,
            ReviewAction.COMPLETED,
            actor,
            from_state=before,
            reason=reason,
            external_event_id=event_id,
        )
        outcome = review.document.status
        transaction.on_commit(lambda: metrics.record_decision(outcome=outcome))
        # A KTP decided by a human decides again, on commit, the NPWPs left with a human
        # while it was in review (the system's decision does the same).
        kyc_services.rescore_npwps_on_commit(ktp=review.document, robust=True)
    log.info(
        "review_completed", review_id=str(review.id), document_id=str(review.document_id), decision=decision
    )
    return review


def _decided_by(review: ManualReview, actor: Actor) -> bool:
    """May `actor` be told its decision stands? BULI2: whoever took the same decision (its
    replays and late callbacks answer unchanged); a reviewer: only when it was theirs, so
    a reviewer is never told a decision the system or a colleague took was recorded."""
    if actor.kind != ActorKind.REVIEWER:
        return True
    return review.decided_by_kind == ActorKind.REVIEWER and review.decided_by_id == actor.id


def _check_may_decide(review: ManualReview, actor: Actor) -> None:
    if review.state not in WORKABLE_STATES:
        raise Conflict(
            _("The review is %(state)s; it cannot be decided now.") % {"state": review_state(review.state)}
        )
    if review.document.status != Status.NEEDS_REVIEW:
        raise Conflict(
            _("The document is %(status)s; it cannot be decided now.")
            % {"status": document_status(review.document.status)}
        )
    _check_not_with_buli2(review, actor)
    if actor.kind == ActorKind.REVIEWER:
        if not review.claim_active:
            raise Conflict(_("Claim the review before deciding it."))
        if review.assignee_id != actor.user_id:
            raise Conflict(_("Another reviewer holds this review."))
    elif review.claim_active and not review.with_buli2:
        # BULI2 decides a case it holds whatever claim an older version left on it.
        raise Conflict(_("A reviewer holds this review."))


def _check_not_with_buli2(review: ManualReview, actor: Actor) -> None:
    """A review BULI2 holds is BULI2's to decide (`ManualReview.with_buli2`): a local
    claim, decision, failure or retake request is refused, since BULI2 cannot be told
    (there is no withdraw call) and would go on deciding a case closed here."""
    if review.with_buli2 and actor.kind != ActorKind.BULI2:
        raise Conflict(_("This case is with BULI2, which decides it: it cannot be claimed or decided here."))


def fail_review(*, review_id: uuid.UUID | str, reason: str, actor: Actor) -> ManualReview:
    """The review cannot be completed (say, the image is unusable for a human too).

    The review moves to `failed` with the reason; the document stays `needs_review`,
    so it remains in the queue (filter state: failed) where an operator can reopen
    the review or ask the applicant for a new upload. Idempotent.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Say why the review cannot be completed.")]})

    def apply(review: ManualReview) -> None:
        if actor.kind == ActorKind.REVIEWER and review.claimed_by_other(actor.user_id):
            raise Conflict(_("Another reviewer holds this review."))
        if review.state not in WORKABLE_STATES:
            raise Conflict(_("A %(state)s review cannot fail.") % {"state": review_state(review.state)})
        _check_not_with_buli2(review, actor)
        review.fail(reason=reason)

    with transaction.atomic():
        current = lock_review(review_id)
        if current.state == ReviewState.FAILED:
            return current
        return _change(review_id, ReviewAction.FAILED, actor, apply, reason=reason)


# A reviewer's re-upload reason code -> the applicant's retake hint (kyc.integrations.messages).
RETAKE_HINT_FOR_REASON = {
    "photo_unreadable": "blurred",
    "card_cut_off": "card_cut_off",
    "wrong_side": "wrong_document",
}


def request_reupload(*, review_id: uuid.UUID | str, user: User, code: str, reason: str) -> ManualReview:
    """The reviewer holding the claim asks the applicant for a new photo: the review ends
    (`failed`, with the reason) and the document moves to `resubmission_requested` with a
    retake hint (audited; the client's webhook fires), in one transaction."""
    hint = RETAKE_HINT_FOR_REASON.get(code)
    if hint is None:
        raise ValidationError({"reason_code": [f"Choose one of: {', '.join(RETAKE_HINT_FOR_REASON)}."]})
    actor = Actor.reviewer(user)
    with transaction.atomic():
        review = lock_review(review_id)
        _check_not_with_buli2(review, actor)
        if not (review.claim_active and review.assignee_id == user.pk):
            raise Conflict(_("Claim the review before asking for a new photo."))
        before = review.state
        outcome = f"reupload_requested: {reason}"
        review.fail(reason=outcome)
        review.save()
        review.document = kyc_services.request_resubmission(
            document_id=review.document_id, hint=hint, actor_kind=actor.kind, actor_id=actor.id, note=reason
        )
        record_event(
            review, ReviewAction.FAILED, actor, from_state=before, reason=f"reupload_requested: {reason}"
        )
    log.info(
        "review_reupload_requested", review_id=str(review.id), document_id=str(review.document_id), hint=hint
    )
    return review


def close_review_of_decided_document(*, document: Document, reason: str) -> ManualReview | None:
    """The document left `needs_review` on a decision no reviewer took (a re-score made its
    score decisive; `kyc.signals.document_left_review`, inside kyc's transaction, the
    document locked): its review is completed by the system with that decision, or failed
    when a retake was asked. A claim held on it ends; a failed review is reopened first."""
    decision = {Status.APPROVED: Decision.APPROVE, Status.REJECTED: Decision.REJECT}.get(document.status)
    with transaction.atomic():
        review = ManualReview.objects.select_for_update(of=("self",)).filter(document_id=document.pk).first()
        if review is None or review.state == ReviewState.COMPLETED:
            return review
        if review.state == ReviewState.FAILED:
            if decision is None:
                return review
            review.reopen()
            review.save()
            record_event(review, ReviewAction.REOPENED, SYSTEM, from_state=ReviewState.FAILED, reason=reason)
        before = review.state
        review.document = document
        if decision is None:
            review.fail(reason=reason)
            action = ReviewAction.FAILED
        else:
            review.complete(decision=decision, reason=reason, actor_kind=SYSTEM.kind, actor_id=SYSTEM.id)
            action = ReviewAction.COMPLETED
        review.save()
        record_event(review, action, SYSTEM, from_state=before, reason=reason)
    log.info(
        "review_closed_by_rescore", review_id=str(review.id), document_id=str(document.id), action=action
    )
    return review


def review_holds_decision(*, document: Document) -> str:
    """Why the system must not decide this document on a re-score ('' when it may): BULI2
    holds a case for its review (`with_buli2`: forwarded, or claimed here while it was
    being sent), and decides it (there is no withdraw call, so closing it here would
    leave BULI2 deciding a case already closed). `kyc.signals.document_decision_held`,
    inside kyc's transaction, the document locked; the review is locked after it, the
    order of every path."""
    review = ManualReview.objects.select_for_update(of=("self",)).filter(document_id=document.pk).first()
    if review is not None and review.with_buli2:
        return "BULI2 holds its review's case and decides it"
    return ""


def reopen_review(*, review_id: uuid.UUID | str, user: User) -> ManualReview:
    """Put a failed review back in the queue; idempotent for an open one."""

    def apply(review: ManualReview) -> None:
        if review.state != ReviewState.FAILED:
            raise Conflict(
                _("Only a failed review can be reopened; this one is %(state)s.")
                % {"state": review_state(review.state)}
            )
        review.reopen()

    with transaction.atomic():
        current = lock_review(review_id)
        if current.state == ReviewState.OPEN:
            return current
        left = current.buli2_review_id
        reason = f"BULI2 case {left} left: reopened for a reviewer here" if left else ""
        return _change(review_id, ReviewAction.REOPENED, Actor.reviewer(user), apply, reason=reason)
