"""Reads for the case pages: one case per applicant needing a human, and what a case shows.

A case is an applicant with at least one review still open to a decision; it carries
all their documents (KTP, NPWP), so a reviewer sees the KTP an NPWP is checked against.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kyc import services as kyc_services
from kyc.labels import document_status
from kyc.models import ActorKind, Document, Status, User
from reviews import cards
from reviews.models import WORKABLE_STATES, ManualReview
from reviews.reason_texts import REVIEW_ACTIONS, reason_text

QUEUE_LIMIT = 500  # reviews looked at for one page of the queue


@dataclass
class Case:
    owner: Any
    waiting_since: dt.datetime
    reviews: list[ManualReview] = field(default_factory=list)

    @property
    def waiting(self) -> dt.timedelta:
        return timezone.now() - self.waiting_since

    @property
    def late(self) -> bool:
        return self.waiting > sla_target()

    @property
    def main_review(self) -> ManualReview:
        return min(self.reviews, key=lambda review: review.document.score or 0)

    @property
    def main_reason(self) -> str:
        reasons = [
            r for review in self.reviews for r in review.document.reasons or [] if r.get("effect", 0) < 0
        ]
        worst = min(reasons, key=lambda r: r.get("effect", 0), default=None)
        return reason_text(worst) if worst else ""

    @property
    def assignees(self) -> list[str]:
        return sorted(
            {review.assignee.email for review in self.reviews if review.claim_active and review.assignee}
        )


def sla_target() -> dt.timedelta:
    return dt.timedelta(hours=settings.REVIEW_SLA_HOURS)


def waiting_reviews() -> list[ManualReview]:
    """Reviews open to a decision, oldest first (the applicant waiting longest first)."""
    return list(
        ManualReview.objects.filter(state__in=WORKABLE_STATES)
        .select_related("document", "document__owner", "document__owner__profile", "assignee")
        .order_by("created_at", "id")[:QUEUE_LIMIT]
    )


def case_queue() -> list[Case]:
    cases: dict[uuid.UUID, Case] = {}
    for review in waiting_reviews():
        owner = review.document.owner
        case = cases.setdefault(owner.pk, Case(owner=owner, waiting_since=review.created_at))
        case.reviews.append(review)
    return list(cases.values())


def next_reviews_for(*, user: User) -> list[ManualReview]:
    """What `claim next` tries, in order: the user's own claims, then the oldest case's
    reviews nobody else holds; never one BULI2 holds (it decides those)."""
    reviews = [review for case in case_queue() for review in case.reviews if not review.with_buli2]
    mine = [review for review in reviews if review.claim_active and review.assignee_id == user.pk]
    free = [review for review in reviews if not review.claim_active]
    return mine + free


def case_documents(*, owner_id: uuid.UUID) -> list[Document]:
    """The applicant's documents a reviewer looks at: every one with a review, and their
    latest of each type besides; 404 when the applicant has none under review."""
    documents = list(
        Document.objects.filter(owner_id=owner_id)
        .exclude(status=Status.FAILED)
        .select_related("owner", "owner__profile", "manual_review", "manual_review__assignee")
        .order_by("doc_type", "-created_at")
    )
    reviewed = [doc for doc in documents if _review(doc) is not None]
    if not reviewed:
        raise Http404(_("No case for this applicant."))
    latest: dict[str, Document] = {}
    for document in documents:
        latest.setdefault(document.doc_type, document)
    shown = {doc.pk: doc for doc in [*reviewed, *latest.values()]}
    return sorted(shown.values(), key=lambda doc: (doc.doc_type, doc.created_at))


def _review(document: Document) -> ManualReview | None:
    try:
        return document.manual_review
    except ManualReview.DoesNotExist:
        return None


def document_view(*, document: Document) -> dict[str, Any]:
    """Everything the case page shows of one document."""
    result = getattr(document, "ocr_result", None)
    codes = {reason.get("code") for reason in document.reasons or []}
    if result is None:
        return {"document": document, "rows": [], "card_image_key": "", "reasons": [], "codes": codes}
    stored = kyc_services.stored_reading(reading_key=result.reading_key)
    fields = dict(result.fields or {})
    rows = cards.field_rows(
        doc_type=document.doc_type,
        fields=fields,
        confidence=result.confidence or {},
        lines=stored.get("lines") or [],
        reasons=codes,
    )
    view = {
        "document": document,
        "reading": result,
        "rows": rows,
        "card_image_key": stored.get("card_image_key") or "",
        "reasons": [{**reason, "text": reason_text(reason)} for reason in document.reasons or []],
        "codes": codes,
        "profile_name": cards.name_verdict(_declared_name(document), str(fields.get("name", "") or "")),
    }
    if document.doc_type == "NPWP":
        view["npwp"] = cards.npwp_facts(
            fields=fields, ktp_fields=kyc_services.ktp_fields_on_file(document=document), reasons=codes
        )
    return view


def card_image_key(*, document: Document) -> str:
    """The storage key of the flattened card the engine read ("" when it kept none)."""
    return str(_stored(document).get("card_image_key") or "")


# A line holding an identity number: a NIK (16 digits) or NPWP (15 or 16), however printed.
_NUMBER_DIGITS = 12


def number_line_boxes(*, document: Document) -> list[tuple[int, int, int, int]] | None:
    """Where the flattened card prints the NIK / NPWP (boxes in its own pixels), from the
    engine's line boxes; None when the reading has no lines (blur everything then)."""
    lines = _stored(document).get("lines") or []
    if not lines:
        return None
    boxes = []
    for line in lines:
        box = line.get("box") or ()
        if len(box) == 4 and sum(ch.isdigit() for ch in str(line.get("text", ""))) >= _NUMBER_DIGITS:
            x0, y0, x1, y1 = (int(value) for value in box)
            boxes.append((x0, y0, x1, y1))
    return boxes


def _stored(document: Document) -> dict:
    result = getattr(document, "ocr_result", None)
    if result is None:
        return {}
    return kyc_services.stored_reading(reading_key=result.reading_key)


def _declared_name(document: Document) -> str:
    profile = getattr(document.owner, "profile", None)
    return profile.full_name if profile is not None else ""


def audit_trail(*, documents: list[Document]) -> list[dict[str, Any]]:
    """Every document transition and review event of the case, people named by email."""
    rows: list[dict[str, Any]] = []
    for document in documents:
        for t in document.transitions.order_by("at", "id"):
            before = document_status(t.from_status) if t.from_status else "—"
            what = f"{document.doc_type}: {before} → {document_status(t.to_status)}"
            rows.append(
                {"at": t.at, "what": what, "kind": t.actor_kind, "id": t.actor_id, "reason": t.reason}
            )
        review = _review(document)
        for e in review.events.order_by("at", "id") if review is not None else []:
            what = f"{document.doc_type}: {REVIEW_ACTIONS.get(e.action, e.action)}"
            rows.append(
                {"at": e.at, "what": what, "kind": e.actor_kind, "id": e.actor_id, "reason": e.reason}
            )
    people = _emails({row["id"] for row in rows if row["kind"] in (ActorKind.REVIEWER, ActorKind.USER)})
    for row in rows:
        row["who"] = _who(row["kind"], row["id"], people)
    return sorted(rows, key=lambda row: row["at"])


def _emails(ids: set[str]) -> dict[str, str]:
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    users = get_user_model().objects.filter(pk__in=valid).values_list("pk", "email")
    return {str(pk): email for pk, email in users}


def _who(kind: str, actor_id: str, people: dict[str, str]) -> str:
    if kind == ActorKind.BULI2:
        return "BULI2"
    if kind == ActorKind.SYSTEM:
        return _("system")
    email = people.get(actor_id)
    if kind == ActorKind.USER:
        return _("applicant %(email)s") % {"email": email} if email else _("applicant")
    return email or _("reviewer (account removed)")
