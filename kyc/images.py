"""Serving a document's stored card image: the one way every view that shows it answers."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse

from kyc.models import Document

_MISSING = "The image is missing from storage."


def private_image_response(document: Document) -> FileResponse:
    """The stored image, streamed, never cached; a 404 (not a 500) when the object is gone.

    Callers have checked who may see it (the owner, a reviewer, a signed URL)."""
    try:
        image = default_storage.open(document.storage_key, "rb")
    except OSError as error:  # missing object (local FileNotFoundError; S3 raises it too)
        raise Http404(_MISSING) from error
    response = FileResponse(image, content_type=f"image/{document.detected_type}")
    response["Cache-Control"] = "private, no-store"
    return response


def stored_image(document: Document) -> bytes:
    """The stored image's bytes, for a view that transforms them (the reviewers' blurred
    card); a 404 when the object is gone."""
    try:
        with default_storage.open(document.storage_key, "rb") as stored:
            return stored.read()
    except OSError as error:
        raise Http404(_MISSING) from error


def private_response(content: bytes, *, content_type: str) -> HttpResponse:
    """Image bytes answered as private and never cached, like `private_image_response`."""
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
