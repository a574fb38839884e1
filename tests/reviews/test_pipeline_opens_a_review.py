"""A document the real pipeline sends to review opens a ManualReview (real broker, worker, OCR)."""

import pytest

from kyc.models import Status
from reviews.models import ManualReview
from tests.kyc.test_pipeline import clean_card, declare, upload, wait_settled

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_needs_review_decision_of_the_pipeline_opens_a_review(worker, alice_api):
    card, jpeg = clean_card("KTP", skip=1)
    declare(alice_api, card, full_name="Bambang Pamungkas")  # the name contradicts the card
    document_id = upload(alice_api, jpeg)

    document = wait_settled(document_id)

    assert document.status == Status.NEEDS_REVIEW, document.reasons
    review = ManualReview.objects.get(document=document)
    assert review.state == "open"
    # The card's NIK, or (when the OCR missed it) the declared one, masked for the queue.
    assert review.nik_masked == card.fields["nik"][:4] + "********" + card.fields["nik"][-4:]
    assert list(review.events.values_list("action", "actor_kind")) == [("opened", "system")]
