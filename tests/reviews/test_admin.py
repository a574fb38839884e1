"""The back office through Django's test client: access, queue, NIK masking and reveals, log-in limit."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from kyc.crypto import mask_nik
from reviews.models import ManualReview, ReviewEvent
from tests.conftest import PASSWORD
from tests.reviews.documents import document_needing_review

pytestmark = pytest.mark.django_db
QUEUE = "/admin/reviews/manualreview/"


def page_of(review: ManualReview) -> str:
    return f"/admin/reviews/manualreview/{review.id}/review/"


@pytest.fixture
def rita_client(client, rita_reviewer):
    client.force_login(rita_reviewer)
    return client


def test_a_reviewer_is_not_a_superuser_but_works_the_queue(rita_reviewer, rita_client, needs_review):
    assert not rita_reviewer.is_superuser
    response = rita_client.get(QUEUE)
    assert response.status_code == 200
    assert str(needs_review.id)[:8] in response.content.decode()
    assert rita_client.get(page_of(needs_review.manual_review)).status_code == 200


def test_staff_outside_the_reviewers_group_and_applicants_are_kept_out(
    client, make_user, alice, needs_review
):
    review = needs_review.manual_review
    client.force_login(make_user("ops@filot.example", is_staff=True))
    assert client.get(QUEUE).status_code == 403
    assert client.get(page_of(review)).status_code == 403
    assert client.get(f"/admin/reviews/manualreview/{review.id}/image/").status_code == 403
    client.force_login(alice)
    assert client.get(f"/admin/reviews/manualreview/{review.id}/image/").status_code == 302


def test_the_image_comes_through_the_authorized_view(rita_client, needs_review):
    response = rita_client.get(f"/admin/reviews/manualreview/{needs_review.manual_review.id}/image/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response.content[:2] == b"\xff\xd8"


def test_the_queue_filters_and_searches(rita_client, alice, bob, rita_reviewer):
    from reviews import services

    old = document_needing_review(alice, score=40)
    ManualReview.objects.filter(document=old).update(created_at=timezone.now() - dt.timedelta(hours=30))
    new = document_needing_review(bob, score=80, index=1)
    done = document_needing_review(bob, score=60, index=2)
    services.claim_review(review_id=done.manual_review.id, user=rita_reviewer)
    services.complete_manual_review(
        review_id=done.manual_review.id,
        decision="approve",
        reason="fine",
        actor=services.Actor.reviewer(rita_reviewer),
    )

    def listed(query: str) -> set:
        body = rita_client.get(f"{QUEUE}?{query}").content.decode()
        return {name for name, doc in (("old", old), ("new", new), ("done", done)) if str(doc.id)[:8] in body}

    body = rita_client.get(QUEUE).content.decode()
    assert body.index(str(old.id)[:8]) < body.index(str(new.id)[:8])  # oldest first
    assert "sla-late" in body
    assert listed("") == {"old", "new"}  # completed reviews leave the default queue
    assert listed("state=completed") == {"done"}
    assert listed("state=all") == {"old", "new", "done"}
    assert listed("score=35-49") == {"old"}
    assert listed("score=70-85") == {"new"}
    assert listed("age=gt24h") == {"old"}
    assert listed("age=lt1h") == {"new"}
    assert listed("doc_type=KTP") == {"old", "new"}
    assert listed("doc_type=NPWP") == set()
    assert listed("q=bob@example.com") == {"new"}
    nik = old.ocr_result.fields["nik"]
    assert listed(f"q={mask_nik(nik)}") >= {"old"}
    assert listed(f"q={nik}") >= {"old"}
    assert listed(f"q={old.ocr_result.fields['name'].split()[0]}") >= {"old"}


def test_the_nik_is_masked_and_a_reveal_needs_the_permission_and_is_audited(
    rita_client, rita_reviewer, needs_review
):
    review = needs_review.manual_review
    nik = needs_review.ocr_result.fields["nik"]
    body = rita_client.get(page_of(review)).content.decode()
    assert nik not in body and mask_nik(nik) in body
    assert rita_client.post(page_of(review), {"action": "reveal", "reason": "check"}).status_code == 403
    assert not ReviewEvent.objects.filter(action="nik_revealed").exists()

    rita_reviewer.user_permissions.add(Permission.objects.get(codename="reveal_nik"))
    rita_client.force_login(type(rita_reviewer).objects.get(pk=rita_reviewer.pk))
    response = rita_client.post(page_of(review), {"action": "reveal", "reason": "name differs from profile"})
    assert response.status_code == 302 and response["Location"] == page_of(review)
    assert nik in rita_client.get(page_of(review)).content.decode()
    event = ReviewEvent.objects.get(action="nik_revealed")
    assert (event.review_id, event.actor_kind, event.actor_id, event.reason) == (
        review.id,
        "reviewer",
        str(rita_reviewer.pk),
        "name differs from profile",
    )
    assert nik not in rita_client.get(page_of(review)).content.decode()  # one reveal, one page
    assert ReviewEvent.objects.filter(action="nik_revealed").count() == 1


def test_a_decision_without_a_reason_is_refused_on_the_page(rita_client, needs_review):
    review = needs_review.manual_review
    rita_client.post(page_of(review), {"action": "claim"})
    response = rita_client.post(page_of(review), {"action": "approve", "reason": " "}, follow=True)
    assert "Tindakan ini memerlukan alasan." in response.content.decode()  # Indonesian by default
    rita_client.cookies["django_language"] = "en"
    response = rita_client.post(page_of(review), {"action": "approve", "reason": " "}, follow=True)
    assert "A reason is required" in response.content.decode()
    needs_review.refresh_from_db()
    assert needs_review.status == "needs_review"
    assert ManualReview.objects.get(pk=review.pk).state == "claimed"


def test_cannot_complete_then_reopen_from_the_page(rita_client, needs_review):
    review = needs_review.manual_review
    rita_client.post(page_of(review), {"action": "claim"})
    rita_client.post(page_of(review), {"action": "fail", "reason": "The photo shows only half the card"})
    assert ManualReview.objects.get(pk=review.pk).state == "failed"
    assert str(needs_review.id)[:8] in rita_client.get(QUEUE).content.decode()  # still in the queue
    rita_client.post(page_of(review), {"action": "reopen"})
    assert ManualReview.objects.get(pk=review.pk).state == "open"
    assert list(ReviewEvent.objects.filter(review=review).values_list("action", flat=True)) == [
        "opened", "claimed", "failed", "reopened",
    ]  # fmt: skip


def test_document_status_cannot_be_edited_in_the_admin(client, make_user, needs_review):
    client.force_login(make_user("root@filot.example", is_staff=True, is_superuser=True))
    page = client.get(f"/admin/kyc/document/{needs_review.id}/change/").content.decode()
    assert 'name="status"' not in page
    assert client.post(f"/admin/kyc/document/{needs_review.id}/delete/").status_code == 403
    profile_page = client.get(f"/admin/kyc/profile/{needs_review.owner.profile.pk}/change/").content.decode()
    assert 'name="nik"' not in profile_page


def test_admin_log_in_attempts_are_rate_limited(client, rita_reviewer, settings):
    settings.ADMIN_LOGIN_RATE_LIMIT = "3/h"  # an hour-long window: no window edge mid-test
    for _ in range(3):
        response = client.post("/admin/login/", {"username": rita_reviewer.email, "password": "wrong-one"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post("/admin/login/", {"username": rita_reviewer.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_the_old_queue_and_page_keep_the_sla_clock_of_review_sla_hours(rita_client, needs_review, settings):
    review = needs_review.manual_review
    ManualReview.objects.filter(pk=review.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    settings.REVIEW_SLA_HOURS = 4
    assert 'class="sla-late"' not in rita_client.get(QUEUE).content.decode()
    settings.REVIEW_SLA_HOURS = 2
    assert 'class="sla-late"' in rita_client.get(QUEUE).content.decode()
    page = rita_client.get(page_of(review)).content.decode()
    assert 'class="sla-late" id="waiting"' in page and "3j 00m" in page  # Indonesian hours
