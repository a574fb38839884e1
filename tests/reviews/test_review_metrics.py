"""The review queue on /metrics: waiting reviews, the oldest wait, SLA breaches."""

import datetime as dt

import pytest
from django.utils import timezone

from reviews import services
from reviews.models import ManualReview
from tests.filot.test_metrics import KEY, scrape, value
from tests.kyc.decided import decide_reading, ktp_reading, npwp_reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def internal_key(settings):
    settings.SERVICE_INTERNAL_KEY = KEY
    settings.REVIEW_SLA_HOURS = 24
    return KEY


def aged(document: object, hours: float) -> ManualReview:
    ManualReview.objects.filter(document=document).update(
        created_at=timezone.now() - dt.timedelta(hours=hours)
    )
    return ManualReview.objects.get(document=document)


def test_an_empty_queue_waits_zero_seconds(client, internal_key):
    text = scrape(client)
    assert value(text, "filot_reviews_waiting") == 0
    assert value(text, "filot_review_oldest_waiting_seconds") == 0
    assert value(text, "filot_review_sla_breaches_total") == 0
    assert "# TYPE filot_review_sla_breaches_total counter" in text


def test_the_queue_metrics_follow_the_oldest_review_and_count_each_late_one_once(
    client, internal_key, alice, bob, rita_reviewer
):
    late = decide_reading(alice, ktp_reading(name="SITI RAHMAWATI"))  # needs a human: no profile
    fresh = decide_reading(bob, npwp_reading(low=("name",)))
    aged(late, 30)
    aged(fresh, 2)
    text = scrape(client)
    assert value(text, "filot_reviews_waiting") == 2
    assert 30 * 3600 - 60 < value(text, "filot_review_oldest_waiting_seconds") < 30 * 3600 + 60
    assert value(text, "filot_review_sla_breaches_total") == 1

    # Deciding the late one: the queue shrinks, the breach stays counted.
    review = services.claim_review(review_id=late.manual_review.pk, user=rita_reviewer)
    services.complete_manual_review(
        review_id=review.pk, decision="approve", reason="ok", actor=services.Actor.reviewer(rita_reviewer)
    )
    text = scrape(client)
    assert value(text, "filot_reviews_waiting") == 1
    assert value(text, "filot_review_oldest_waiting_seconds") < 2 * 3600 + 60
    assert value(text, "filot_review_sla_breaches_total") == 1
