"""Reads for reviewers and BULI2: a review, its queue, what the review page shows."""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy

from kyc import scoring
from kyc.crypto import mask_nik
from kyc.models import Document, Status
from reviews import cards
from reviews.models import WORKABLE_STATES, ManualReview

MASKED_FIELDS = ("nik", "npwp")
# Fields compared between what the applicant declared and what the card says.
PROFILE_VS_CARD = (
    (gettext_lazy("Full name"), "full_name", "name"),
    (gettext_lazy("Date of birth"), "date_of_birth", "birth_date"),
)


def get_review(*, review_id: uuid.UUID | str) -> ManualReview:
    try:
        return ManualReview.objects.select_related("document").get(pk=review_id)
    except (ManualReview.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404("No such review.") from error


def get_document_under_review(*, document_id: str) -> Document:
    """A document whose review is still open to a decision (what a signed image URL may show)."""
    try:
        return Document.objects.get(
            pk=document_id, status=Status.NEEDS_REVIEW, manual_review__state__in=WORKABLE_STATES
        )
    except (Document.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404("Not found.") from error


def review_queue() -> QuerySet[ManualReview]:
    """Every review, oldest first (the applicant who has waited longest comes first)."""
    return ManualReview.objects.select_related(
        "document", "document__owner", "document__owner__profile", "assignee"
    ).order_by("created_at")


def card_fields(*, document: Document, reveal: bool) -> list[dict[str, Any]]:
    """The fields read, in card order under the card's printed labels; confidence judged
    by the scorer's own cut-off (`kyc.scoring.MIN_FIELD_CONFIDENCE`)."""
    reading = getattr(document, "ocr_result", None)
    if reading is None:
        return []
    confidence = reading.confidence or {}
    fields = dict(reading.fields or {})
    order = cards.NPWP_FIELDS if document.doc_type == scoring.NPWP else cards.KTP_FIELDS
    labels = dict(order)
    names = [name for name, _ in order if name in fields] + [name for name in fields if name not in labels]
    rows = []
    for name in names:
        value = fields[name]
        shown = value if reveal or name not in MASKED_FIELDS else mask_nik(str(value))
        conf = confidence.get(name)
        rows.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "value": shown,
                "confidence": conf,
                "low": conf is not None and float(conf) < scoring.MIN_FIELD_CONFIDENCE,
            }
        )
    return rows


def profile_vs_card(*, document: Document, reveal: bool) -> list[dict[str, Any]]:
    """Declared against read, judged as the scorer judges: names by its fuzzy comparison
    (match / similar / mismatch), the birth date and NIK exactly."""
    profile = getattr(document.owner, "profile", None)
    reading = getattr(document, "ocr_result", None)
    card = (reading.fields or {}) if reading is not None else {}
    rows = []
    for label, profile_attr, card_field in PROFILE_VS_CARD:
        declared = str(getattr(profile, profile_attr, "") or "") if profile else ""
        read = str(card.get(card_field, "") or "")
        if card_field == "name":
            rows.append(
                {"label": label, "profile": declared, "card": read, **cards.name_verdict(declared, read)}
            )
        else:
            rows.append(_comparison(label, declared, read, declared, read))
    declared_nik = profile.nik if profile else ""
    card_nik = str(card.get("nik", "") or "")
    rows.append(
        _comparison(
            gettext_lazy("NIK"),
            declared_nik if reveal else mask_nik(declared_nik),
            card_nik if reveal else mask_nik(card_nik),
            declared_nik,
            card_nik,
        )
    )
    return rows


def _comparison(label: object, declared: str, read: str, left: str, right: str) -> dict[str, Any]:
    def norm(value: str) -> str:
        return " ".join(value.upper().split())

    same = bool(left and right) and norm(left) == norm(right)
    verdict = None if not (left and right) else ("match" if same else "mismatch")
    return {"label": label, "profile": declared, "card": read, "verdict": verdict, "similarity": None}
