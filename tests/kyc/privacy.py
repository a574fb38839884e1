"""An applicant's data as the pipeline leaves it, for the personal-data tests.

The upload goes through the API (consent included); the OCR step is the reading the
engine would have written beside the image (the card's own fields, from the project's
generator), ingested by `kyc.services.ingest_reading` as the `default` worker does.
"""

import io
import json
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from kyc import services
from kyc.crypto import seal_for_ring
from kyc.models import Document, Status
from tests.reviews.documents import card

PHONE = "+62 812 5555 0199"


def declare_profile(client, fields: dict) -> None:
    body = {
        "full_name": fields["name"],
        "date_of_birth": fields["birth_date"],
        "nik": fields["nik"],
        "phone": PHONE,
    }
    response = client.put("/api/v1/profile", body, format="json")
    assert response.status_code == 200, response.content


def upload_card(client, jpeg: bytes, doc_type: str = "KTP") -> Document:
    file = io.BytesIO(jpeg)
    file.name = "card.jpg"
    response = client.post(
        "/api/v1/documents", {"doc_type": doc_type, "file": file, "consent": "true"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return Document.objects.get(pk=response.json()["id"])


def store_reading(document: Document, fields: dict) -> str:
    """The reading file the OCR actor writes beside the image (ocr_gpu.tasks.reading_key)."""
    reading = {
        "doc_type": document.doc_type,
        "fields": fields,
        "confidence": dict.fromkeys(fields, 0.97),
        "quality": {"sharpness": 0.9, "card_width_px": 900},
        "checks": [],
        "timings_ms": {"total": 1.0},
        "gpu_processed": False,
        "error": None,
        "lines": [{"text": f"NIK : {fields.get('nik', '')}", "confidence": 0.9, "box": [1, 2, 3, 4]}],
    }
    folder = document.storage_key.rsplit("/", 1)[0]
    sealed = seal_for_ring(json.dumps(reading).encode())  # sealed, as the OCR actor writes it
    return default_storage.save(f"{folder}/reading-{uuid.uuid4().hex}.json", ContentFile(sealed))


def processing(document: Document) -> Document:
    if document.status == Status.UPLOADED:
        services.start_kyc_workflow(document_id=document.id)
    return Document.objects.get(pk=document.id)


def decided_document(client, *, index: int = 0) -> tuple[Document, dict]:
    """A KTP uploaded through the API, read and decided (tests set the thresholds)."""
    made, jpeg = card(index=index)
    fields = dict(made.fields)
    document = processing(upload_card(client, jpeg))
    services.ingest_reading(document_id=str(document.id), reading_key=store_reading(document, fields))
    return Document.objects.get(pk=document.id), fields


def files_of(settings, owner_id: object) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "documents" / str(owner_id)
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def database_text() -> str:
    """Every row of every table as text (what a raw dump would show; encrypted columns
    stay ciphertext here, so tests check those through the ORM as well)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        chunks = []
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - table names from the catalog
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks)


def orm_text() -> str:
    """Every row of every model through the ORM (encrypted fields decrypted)."""
    from django.apps import apps

    return "\n".join(
        json.dumps(list(model._default_manager.values()), default=str) for model in apps.get_models()
    )
