"""A review BULI2 holds (it has a BULI2 case id) is decided by BULI2 only: there is no
call to withdraw a case from BULI2, so nothing local closes it without BULI2 knowing."""

import pytest
from django.db import connection

from filot.errors import Conflict
from kyc.models import DocumentTransition, Profile, Status
from reviews import services
from reviews.case_selectors import next_reviews_for
from reviews.models import ManualReview, ReviewEvent
from tests.kyc.decided import BIRTH, NAME, decide_reading, ktp_reading, npwp_reading
from tests.reviews.test_npwp_after_a_human_decides_the_ktp import actions, decisions, signed_callback


def trail(review: ManualReview) -> tuple[int, int]:
    return (
        ReviewEvent.objects.filter(review=review).count(),
        DocumentTransition.objects.filter(document_id=review.document_id).count(),
    )


def claimed_with_a_buli2_case(review: ManualReview, user: object) -> ManualReview:
    """What `forward_review` used to leave when a reviewer claimed the review while it
    was being sent: claimed here, and BULI2 holding a case for it too."""
    review = services.claim_review(review_id=review.pk, user=user)
    review.buli2_review_id = "buli2-legacy"
    review.save(update_fields=["buli2_review_id", "updated_at"])
    return review


def test_a_reviewer_cannot_claim_decide_fail_or_ask_a_retake_of_a_review_buli2_holds(
    needs_review, rita_reviewer, sam
) -> None:
    forwarded = needs_review.manual_review
    forwarded.forward(buli2_review_id="buli2-7")
    forwarded.save()
    before = trail(forwarded)
    with pytest.raises(Conflict, match="BULI2"):
        services.claim_review(review_id=forwarded.pk, user=rita_reviewer)
    with pytest.raises(Conflict, match="BULI2"):
        services.fail_review(review_id=forwarded.pk, reason="cannot tell", actor=services.Actor.reviewer(sam))
    assert trail(forwarded) == before
    assert next_reviews_for(user=rita_reviewer) == []  # claim next passes it by

    # A claim taken before the case went to BULI2 (as forwarding used to leave it).
    forwarded.refresh_from_db()
    ManualReview.objects.filter(pk=forwarded.pk).update(
        state="claimed", assignee=rita_reviewer, claim_expires_at=forwarded.forwarded_at.replace(year=2100)
    )
    before = trail(forwarded)
    for attempt in (
        lambda: services.complete_manual_review(
            review_id=forwarded.pk,
            decision="approve",
            reason="ok",
            actor=services.Actor.reviewer(rita_reviewer),
        ),
        lambda: services.request_reupload(
            review_id=forwarded.pk, user=rita_reviewer, code="photo_unreadable", reason="blurred"
        ),
    ):
        with pytest.raises(Conflict, match="BULI2"):
            attempt()
    assert trail(forwarded) == before
    needs_review.refresh_from_db()
    assert needs_review.status == Status.NEEDS_REVIEW
    # BULI2 decides it, its case, the old claim notwithstanding.
    services.complete_manual_review(
        review_id=forwarded.pk, decision="approve", reason="by BULI2", actor=services.BULI2
    )
    needs_review.refresh_from_db()
    assert needs_review.status == Status.APPROVED


def test_a_rescore_leaves_a_claimed_review_holding_a_buli2_case_to_buli2(
    alice, rita_reviewer, buli2_settings, client, django_capture_on_commit_callbacks
) -> None:
    """The NPWP re-scored to 92 > 85 once the KTP passes would be closed by the system:
    its review is claimed here but BULI2 holds a case for it, so the decision is held."""
    buli2_settings.KYC_APPROVE_ABOVE, buli2_settings.KYC_REJECT_BELOW = 85, 35
    Profile.objects.filter(user=alice).update(full_name=NAME, date_of_birth=BIRTH)
    npwp = decide_reading(alice, npwp_reading(low=("name",)))  # no KTP yet: 82
    review = claimed_with_a_buli2_case(npwp.manual_review, rita_reviewer)

    assert decide_reading(alice, ktp_reading()).status == Status.AUTO_APPROVED

    npwp.refresh_from_db()
    review.refresh_from_db()
    assert (npwp.status, npwp.score) == (Status.NEEDS_REVIEW, 92)
    assert review.state == "claimed" and review.decided_by_kind == ""
    assert decisions(npwp) == []
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_callback(client, review, event_id="evt-own-1", decision="approve")
    assert response.status_code == 200, response.content
    npwp.refresh_from_db()
    assert decisions(npwp) == [(Status.APPROVED, "buli2")]
    assert [row for row in actions(npwp) if row[0] == "completed"] == [("completed", "buli2")]


@pytest.mark.django_db(transaction=True)
def test_a_review_claimed_while_it_was_being_forwarded_goes_to_buli2_and_the_claim_ends(
    fake_buli2, alice, rita_reviewer, settings
) -> None:
    from tests.reviews.documents import document_needing_review

    fake_buli2_enabled, settings.BULI2_ENABLED = settings.BULI2_ENABLED, False  # no forward message
    review = document_needing_review(alice).manual_review
    settings.BULI2_ENABLED = fake_buli2_enabled

    def claim_meanwhile() -> None:  # BULI2 is taking the case while a reviewer claims it here
        try:
            services.claim_review(review_id=review.pk, user=rita_reviewer)
        finally:
            connection.close()

    fake_buli2.before_answer = claim_meanwhile
    forwarded = services.forward_review(review_id=review.pk)

    assert (forwarded.state, forwarded.buli2_review_id) == ("forwarded", "buli2-1")
    assert forwarded.assignee_id is None and forwarded.claim_expires_at is None
    events = list(ReviewEvent.objects.filter(review=review).order_by("at", "id"))
    assert [(event.action, event.from_state, event.to_state) for event in events] == [
        ("opened", "", "open"),
        ("claimed", "open", "claimed"),
        ("forwarded", "claimed", "forwarded"),
    ]
    assert "claim" in events[-1].reason and events[-1].actor_kind == "system"
    with pytest.raises(Conflict, match="BULI2"):
        services.complete_manual_review(
            review_id=review.pk, decision="reject", reason="no", actor=services.Actor.reviewer(rita_reviewer)
        )


def test_a_review_failed_here_after_it_went_to_buli2_is_a_reviewers_again_when_reopened(
    needs_review, rita_reviewer, sam
) -> None:
    # Failed here while being sent (no BULI2 id yet), then forwarding recorded BULI2's id,
    # and BULI2's answer was refused: reopened, nobody but a reviewer here can decide it.
    review = needs_review.manual_review
    services.fail_review(review_id=review.pk, reason="cannot tell", actor=services.Actor.reviewer(sam))
    ManualReview.objects.filter(pk=review.pk).update(buli2_review_id="buli2-9")

    reopened = services.reopen_review(review_id=review.pk, user=sam)
    assert reopened.state == "open"
    assert not reopened.with_buli2
    event = ReviewEvent.objects.filter(review=review, action="reopened").get()
    assert "buli2-9" in event.reason
    assert [r.pk for r in next_reviews_for(user=rita_reviewer)] == [review.pk]
    services.claim_review(review_id=review.pk, user=rita_reviewer)
    decided = services.complete_manual_review(
        review_id=review.pk, decision="approve", reason="ok", actor=services.Actor.reviewer(rita_reviewer)
    )
    assert decided.state == "completed"
