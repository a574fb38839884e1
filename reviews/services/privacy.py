"""What the reviews app holds of a document's personal data, removed with the document's
(kyc's erasure and retention purge send `kyc.signals.personal_data_removed`)."""

from kyc.models import Document
from kyc.services.privacy import FREE_TEXT_ACTORS, REMOVED_TEXT
from reviews.models import ManualReview, ReviewEvent


def scrub_review_records(*, document: Document) -> int:
    """Inside the removing transaction: the masked NIK and what reviewers (or BULI2) wrote.
    The review's state, decision and timestamps stay for the audit."""
    reviews = ManualReview.objects.filter(document=document)
    reviews.update(nik_masked="")
    reviews.filter(decided_by_kind__in=FREE_TEXT_ACTORS).exclude(reason="").update(reason=REMOVED_TEXT)
    reviews.filter(state="failed").exclude(reason="").update(reason=REMOVED_TEXT)
    return (
        ReviewEvent.objects.filter(review__document=document, actor_kind__in=FREE_TEXT_ACTORS)
        .exclude(reason="")
        .update(reason=REMOVED_TEXT)
    )
