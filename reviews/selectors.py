"""Reads for reviewers and BULI2: a review, its queue, what the review page shows."""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from kyc.crypto import mask_nik
from kyc.models import Document, Status
from reviews.models import WORKABLE_STATES, ManualReview

MASKED_FIELDS = ("nik", "npwp")
# Fields compared between what the applicant declared and what the card says.
PROFILE_VS_CARD = (("Full name", "full_name", "name"), ("Date of birth", "date_of_birth", "birth_date"))


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
    reading = getattr(document, "ocr_result", None)
    if reading is None:
        return []
    confidence = reading.confidence or {}
    rows = []
    for name, value in (reading.fields or {}).items():
        shown = value if reveal or name not in MASKED_FIELDS else mask_nik(str(value))
        rows.append({"name": name, "value": shown, "confidence": confidence.get(name)})
    return rows


def profile_vs_card(*, document: Document, reveal: bool) -> list[dict[str, Any]]:
    profile = getattr(document.owner, "profile", None)
    reading = getattr(document, "ocr_result", None)
    card = (reading.fields or {}) if reading is not None else {}
    rows = []
    for label, profile_attr, card_field in PROFILE_VS_CARD:
        declared = str(getattr(profile, profile_attr, "") or "") if profile else ""
        read = str(card.get(card_field, "") or "")
        rows.append(_comparison(label, declared, read, declared, read))
    declared_nik = profile.nik if profile else ""
    card_nik = str(card.get("nik", "") or "")
    rows.append(
        _comparison(
            "NIK",
            declared_nik if reveal else mask_nik(declared_nik),
            card_nik if reveal else mask_nik(card_nik),
            declared_nik,
            card_nik,
        )
    )
    return rows


def _comparison(label: str, declared: str, read: str, left: str, right: str) -> dict[str, Any]:
    def norm(value: str) -> str:
        return " ".join(value.upper().split())

    same = bool(left and right) and norm(left) == norm(right)
    return {"label": label, "profile": declared, "card": read, "match": same if left and right else None}


def audit_trail(*, review: ManualReview) -> list[dict[str, Any]]:
    """Document transitions and review events, in time order."""
    rows = [
        {
            "at": t.at,
            "what": f"document {t.from_status or '—'} → {t.to_status}",
            "actor_kind": t.actor_kind,
            "actor_id": t.actor_id,
            "reason": t.reason,
        }
        for t in review.document.transitions.order_by("at", "id")
    ]
    rows += [
        {
            "at": e.at,
            "what": f"review {e.action}" + (f" ({e.from_state} → {e.to_state})" if e.from_state else ""),
            "actor_kind": e.actor_kind,
            "actor_id": e.actor_id,
            "reason": e.reason,
        }
        for e in review.events.order_by("at", "id")
    ]
    return sorted(rows, key=lambda row: row["at"])
