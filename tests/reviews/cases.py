"""An applicant's KTP and NPWP read by the real OCR actor and decided by the pipeline's
own services, for the case-page tests. Synthetic cards from the project's generator."""

import functools
import io
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from kyc import services
from kyc.models import Document, Profile
from ocr_gpu.tasks import recognize
from tests.factories import document_row

SEED = 20261122


@functools.cache
def clean_card(doc_type: str, skip: int = 0) -> tuple[object, bytes]:
    from cardgen.cards import render_card

    for index in range(200):
        card, jpeg = render_card(SEED, index)
        if card.doc_type == doc_type and card.difficulty == "clean" and not card.expected_checks:
            if skip == 0:
                return card, jpeg
            skip -= 1
    raise AssertionError(f"no clean {doc_type}")


def upside_down(jpeg: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).rotate(180).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def declare(owner: object, **values: object) -> None:
    Profile.objects.filter(user=owner).update(**values)


def read_and_decide(owner: object, doc_type: str, jpeg: bytes) -> Document:
    """Upload row -> the OCR actor's own function on the stored image -> ingest_reading."""
    document_id = uuid.uuid4()
    key = default_storage.save(f"documents/{owner.pk}/{document_id}/original.jpeg", ContentFile(jpeg))
    document = document_row(
        owner, id=document_id, doc_type=doc_type, storage_key=key, sha256=uuid.uuid4().hex * 2
    )
    services.transition_document(
        document_id=document.id, apply=lambda d: d.start_processing(), actor_kind="system"
    )
    reading_key = recognize.fn(str(document.id), key, doc_type)
    services.ingest_reading(document_id=str(document.id), reading_key=reading_key)
    return Document.objects.get(pk=document.id)


def npwp_of(ktp: object, *, nik: str | None = None) -> bytes:
    """A clean NPWP photo in the KTP holder's name and NIK (or `nik`; an old 15-digit number)."""
    from cardgen.cardart import draw_card
    from cardgen.cardphotos import photograph
    from cardgen.cards import Card, make_card

    for index in range(200):
        card, rng = make_card(SEED, index)
        if card.doc_type == "NPWP" and card.difficulty == "clean" and len(card.fields["npwp"]) == 15:
            fields = {**card.fields, "name": ktp.fields["name"], "nik": nik or ktp.fields["nik"]}
            return photograph(draw_card(Card("NPWP", "clean", fields), rng), "clean", rng)
    raise AssertionError("no clean 15-digit NPWP")


def similar_name(name: str) -> str:
    """A name the scorer calls similar, not the same (between its two thresholds)."""
    from kyc.scoring import NAME_MATCH, NAME_SIMILARITY, name_similarity

    for changed in range(1, 6):
        candidate = name[:-changed] + "Q" * changed
        if NAME_SIMILARITY <= name_similarity(candidate, name) < NAME_MATCH:
            return candidate.title()
    raise AssertionError(f"no similar name for {name}")


def another_nik(nik: str) -> str:
    """A valid NIK of someone born the same day in the same district: another serial."""
    return nik[:12] + f"{int(nik[12:]) % 9999 + 1:04d}"
