"""The review workflow services: opened by the pipeline's signal, claimed, decided, failed."""

import datetime as dt

import pytest
from django.utils import timezone

from filot.errors import Conflict
from kyc.models import DocumentTransition
from reviews import services
from reviews.models import ManualReview, ReviewEvent
from tests.reviews.documents import document_needing_review

pytestmark = pytest.mark.django_db


def test_a_document_sent_to_review_opens_exactly_one_review(needs_review):
    review = needs_review.manual_review
    assert review.state == "open"
    assert review.nik_masked.count("*") == 8
    assert services.open_manual_review(document=needs_review) == review
    assert ManualReview.objects.filter(document=needs_review).count() == 1
    assert list(review.events.values_list("action", flat=True)) == ["opened"]


def test_a_reviewer_decides_only_with_a_claim_and_a_reason(needs_review, rita_reviewer):
    review = needs_review.manual_review
    rita = services.Actor.reviewer(rita_reviewer)
    with pytest.raises(Conflict):
        services.complete_manual_review(review_id=review.id, decision="approve", reason="ok", actor=rita)
    services.claim_review(review_id=review.id, user=rita_reviewer)
    with pytest.raises(Exception, match="reason"):
        services.complete_manual_review(review_id=review.id, decision="approve", reason="  ", actor=rita)
    done = services.complete_manual_review(
        review_id=review.id, decision="approve", reason="Card and profile agree", actor=rita
    )
    needs_review.refresh_from_db()
    assert (done.state, done.decision, needs_review.status) == ("completed", "approve", "approved")
    last = DocumentTransition.objects.filter(document=needs_review).last()
    assert (last.to_status, last.actor_kind, last.actor_id) == ("approved", "reviewer", str(rita_reviewer.pk))
    # Idempotent: the same decision again changes nothing; a different one is refused.
    again = services.complete_manual_review(review_id=review.id, decision="approve", reason="x", actor=rita)
    assert again.completed_at == done.completed_at
    with pytest.raises(Conflict):
        services.complete_manual_review(review_id=review.id, decision="reject", reason="x", actor=rita)


def test_a_claim_held_by_someone_else_refuses_claim_release_and_decision(needs_review, rita_reviewer, sam):
    review = needs_review.manual_review
    services.claim_review(review_id=review.id, user=rita_reviewer)
    with pytest.raises(Conflict):
        services.claim_review(review_id=review.id, user=sam)
    with pytest.raises(Conflict):
        services.release_review(review_id=review.id, user=sam)
    with pytest.raises(Conflict):
        services.complete_manual_review(
            review_id=review.id, decision="reject", reason="no", actor=services.Actor.reviewer(sam)
        )
    with pytest.raises(Conflict):
        services.complete_manual_review(
            review_id=review.id, decision="reject", reason="no", actor=services.BULI2
        )
    needs_review.refresh_from_db()
    assert needs_review.status == "needs_review"


def test_an_expired_claim_can_be_taken_over(needs_review, rita_reviewer, sam):
    review = needs_review.manual_review
    services.claim_review(review_id=review.id, user=rita_reviewer)
    ManualReview.objects.filter(pk=review.id).update(
        claim_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    taken = services.claim_review(review_id=review.id, user=sam)
    assert (taken.state, taken.assignee_id) == ("claimed", sam.pk)
    actions = list(ReviewEvent.objects.filter(review=review).values_list("action", "actor_id"))
    assert actions[-2:] == [("claimed", str(rita_reviewer.pk)), ("claimed", str(sam.pk))]


def test_release_puts_the_review_back_in_the_queue(needs_review, rita_reviewer):
    review = needs_review.manual_review
    services.claim_review(review_id=review.id, user=rita_reviewer)
    released = services.release_review(review_id=review.id, user=rita_reviewer)
    assert (released.state, released.assignee_id, released.claim_expires_at) == ("open", None, None)
    assert services.release_review(review_id=review.id, user=rita_reviewer).state == "open"


def test_a_failed_review_leaves_the_document_needing_review_and_can_be_reopened(needs_review, rita_reviewer):
    review = needs_review.manual_review
    rita = services.Actor.reviewer(rita_reviewer)
    failed = services.fail_review(
        review_id=review.id, reason="Image cut off; ask for a new photo", actor=rita
    )
    assert (failed.state, failed.reason) == ("failed", "Image cut off; ask for a new photo")
    assert services.fail_review(review_id=review.id, reason="again", actor=rita).reason == failed.reason
    needs_review.refresh_from_db()
    assert needs_review.status == "needs_review"
    with pytest.raises(Conflict):
        services.complete_manual_review(review_id=review.id, decision="approve", reason="ok", actor=rita)
    assert services.reopen_review(review_id=review.id, user=rita_reviewer).state == "open"
    actions = list(review.events.values_list("action", flat=True))
    assert actions == ["opened", "failed", "reopened"]


def test_a_failing_receiver_rolls_the_decision_and_the_review_back(alice):
    # The signal is sent inside the deciding transaction: no needs_review without a review.
    from kyc.models import Document
    from kyc.signals import document_needs_review

    def refuse(sender, document, **kwargs):
        raise RuntimeError("a later receiver failed")

    document_needs_review.connect(refuse, sender=Document, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError):
            document_needing_review(alice)
    finally:
        document_needs_review.disconnect(sender=Document, dispatch_uid="test-refuse")
    assert not Document.objects.filter(status="needs_review").exists()
    assert not ManualReview.objects.exists()
