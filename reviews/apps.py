from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from kyc.models import Document


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from django.conf import settings

        from kyc.models import Document
        from kyc.signals import (
            document_decision_held,
            document_left_review,
            document_needs_review,
            personal_data_removed,
        )

        document_needs_review.connect(
            _open_review, sender=Document, dispatch_uid="reviews.open_manual_review"
        )
        document_left_review.connect(
            _close_review, sender=Document, dispatch_uid="reviews.close_review_of_decided_document"
        )
        document_decision_held.connect(
            _hold_decision, sender=Document, dispatch_uid="reviews.review_holds_decision"
        )
        personal_data_removed.connect(
            _scrub_reviews, sender=Document, dispatch_uid="reviews.scrub_review_records"
        )
        post_migrate.connect(_ensure_reviewers_group, sender=self, dispatch_uid="reviews.reviewers_group")
        if settings.BULI2_ENABLED:
            register_buli2_health()


def register_buli2_health() -> None:
    """The circuit breaker's state in /health/ready, when BULI2 is configured."""
    from filot.health import register_check
    from reviews.buli2 import breaker_health

    register_check("buli2", breaker_health)


def _open_review(sender: object, document: "Document", reason: str = "", **kwargs: object) -> None:
    from reviews.services import open_manual_review

    open_manual_review(document=document, reason=reason)


def _close_review(sender: object, document: "Document", reason: str = "", **kwargs: object) -> None:
    from reviews.services.workflow import close_review_of_decided_document

    close_review_of_decided_document(document=document, reason=reason)


def _hold_decision(sender: object, document: "Document", **kwargs: object) -> str:
    from reviews.services.workflow import review_holds_decision

    return review_holds_decision(document=document)


def _scrub_reviews(sender: object, document: "Document", **kwargs: object) -> None:
    from reviews.services.privacy import scrub_review_records

    scrub_review_records(document=document)


def _ensure_reviewers_group(**kwargs: object) -> None:
    from reviews.services import ensure_reviewers_group

    ensure_reviewers_group()
