"""Reads of personal data, always scoped to who is asking."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet, Window
from django.http import Http404

from kyc.models import TERMINAL_STATUSES, Document, Profile, User


def get_profile(*, user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def list_documents_for_user(*, user: User) -> QuerySet[Document]:
    return Document.objects.filter(owner=user).select_related("ocr_result").order_by("-created_at", "id")


def page_documents_for_user(
    *, user: User, page: int, page_size: int
) -> tuple[Sequence[Document], int | None]:
    """One page of the user's documents, newest first, and how many there are in all,
    in one query (the total is a window over the whole list, computed before the LIMIT).
    An empty page knows no total (None), unless it is the first: then there are none."""
    start = (page - 1) * page_size
    if start + page_size >= 2**63:  # past any database's OFFSET, and past any real list
        return [], None
    documents = list(
        list_documents_for_user(user=user).annotate(total=Window(Count("pk")))[start : start + page_size]
    )
    if documents:
        return documents, documents[0].total
    return [], 0 if page == 1 else None


def get_document_for_user(
    *, user: User, document_id: uuid.UUID | str, with_reading: bool = False
) -> Document:
    """The user's own document; another user's answers 404 exactly like a missing one.

    `with_reading` joins its OCR result into the same query (None when there is none).
    """
    documents = Document.objects.select_related("ocr_result") if with_reading else Document.objects
    try:
        return documents.get(pk=document_id, owner=user)
    except (Document.DoesNotExist, ValidationError, ValueError, TypeError) as error:
        raise Http404("Not found.") from error


TIMELINE_FIELDS = ("from_status", "to_status", "at", "actor_kind", "reason")


@dataclass(frozen=True, slots=True)
class DocumentStatus:
    id: uuid.UUID
    status: str
    score: int | None
    reasons: list[dict]
    timeline: list[dict]  # TIMELINE_FIELDS of every transition, oldest first

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


def get_document_status_for_user(*, user: User, document_id: uuid.UUID | str) -> DocumentStatus:
    """The user's document's status and whole timeline in one query, however long the
    timeline: the document LEFT JOINed to its transitions, one row per transition."""
    columns = ("id", "status", "score", "reasons", "transitions__id")
    timeline_columns = tuple(f"transitions__{name}" for name in TIMELINE_FIELDS)
    try:
        rows = list(
            Document.objects.filter(pk=document_id, owner=user)
            .order_by("transitions__at", "transitions__id")
            .values_list(*columns, *timeline_columns)
        )
    except (ValidationError, ValueError, TypeError) as error:
        raise Http404("Not found.") from error
    if not rows:
        raise Http404("Not found.")
    found_id, status, score, reasons = rows[0][:4]
    timeline = [dict(zip(TIMELINE_FIELDS, row[5:], strict=True)) for row in rows if row[4] is not None]
    return DocumentStatus(found_id, status, score, reasons, timeline)
