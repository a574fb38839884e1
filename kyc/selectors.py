"""Reads of personal data, always scoped to who is asking."""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from kyc.models import Document, DocumentTransition, Profile, User


def get_profile(*, user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def list_documents_for_user(*, user: User) -> QuerySet[Document]:
    return Document.objects.filter(owner=user).select_related("ocr_result").order_by("-created_at")


def get_document_for_user(*, user: User, document_id: uuid.UUID | str) -> Document:
    """The user's own document; another user's answers 404 exactly like a missing one."""
    try:
        return Document.objects.get(pk=document_id, owner=user)
    except (Document.DoesNotExist, ValidationError, ValueError, TypeError) as error:
        raise Http404("Not found.") from error


def document_timeline(*, document: Document) -> QuerySet[DocumentTransition]:
    return document.transitions.order_by("at", "id")
