"""A document's original image, streamed from private storage to someone allowed to see it."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from kyc.models import Document


def private_image_response(document: Document) -> FileResponse:
    """The original upload, never cached; 404 when the object is gone from storage."""
    try:
        image = default_storage.open(document.storage_key, "rb")
    except OSError as error:
        raise Http404("The image is missing from storage.") from error
    response = FileResponse(image, content_type=f"image/{document.detected_type}")
    response["Cache-Control"] = "private, no-store"
    return response
