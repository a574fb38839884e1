"""Serving a document's stored card image: one response for every place that shows it."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from kyc.models import Document


def private_image_response(document: Document) -> FileResponse:
    """The stored image, never cached; a 404 (not a 500) when the object is gone from storage.

    Callers have checked who may see it (the owner, a reviewer, a signed URL)."""
    try:
        image = default_storage.open(document.storage_key, "rb")
    except OSError as error:  # missing object (local FileNotFoundError; S3 raises it too)
        raise Http404("The image is missing from storage.") from error
    response = FileResponse(image, content_type=f"image/{document.detected_type}")
    response["Cache-Control"] = "private, no-store"
    return response
