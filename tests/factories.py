"""Rows for tests that need a document in a given state without going through the API."""

import hashlib
import uuid

from kyc.models import Document


def document_row(owner: object, **fields: object) -> Document:
    """A KTP document row; no image is stored unless the caller stores one at `storage_key`."""
    document_id = fields.pop("id", None) or uuid.uuid4()
    values = {
        "doc_type": "KTP",
        "storage_key": f"documents/{owner.pk}/{document_id}/original.jpg",
        "sha256": hashlib.sha256(str(document_id).encode()).hexdigest(),  # one active document per image
        "size_bytes": 1,
        "detected_type": "jpeg",
        "width": 1000,
        "height": 630,
        "correlation_id": uuid.uuid4().hex,
        **fields,
    }
    return Document.objects.create(id=document_id, owner=owner, **values)
