"""Put a document into `needs_review` the way the pipeline does, for the reviews tests.

The document's image is a synthetic card from the project's generator; its OCR result
is what the engine would have read. It goes through kyc.services as the pipeline does:
sent to OCR, its reading saved, then decided (`needs_review`, which sends
`document_needs_review` inside the deciding transaction).
"""

import datetime as dt
import functools
import hashlib
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from kyc import scoring, services
from kyc.crypto import nik_blind_index
from kyc.models import Document, Profile
from tests.factories import document_row

# Reasons as kyc.scoring writes them.
REASONS = [
    {
        "code": "nik_consistent",
        "effect": 0,
        "message": "The NIK is valid and agrees with the birth date and gender on the card.",
    },
    {
        "code": "low_ocr_confidence",
        "effect": -8,
        "message": "These fields were read with low confidence: name.",
    },
    {
        "code": "name_similar",
        "effect": -10,
        "message": "The name on the card is close to, but not the same as, the profile's.",
    },
    {"code": "image_blurry", "effect": -10, "message": "The photo is blurry."},
]


@functools.cache
def card(seed: int = 20261122, index: int = 0) -> tuple[object, bytes]:
    """The index-th clean KTP the generator makes for this seed."""
    from cardgen.cards import render_card

    found = -1
    for number in range(200):
        made, jpeg = render_card(seed, number)
        if made.doc_type == "KTP" and made.difficulty == "clean":
            found += 1
            if found == index:
                return made, jpeg
    raise AssertionError("not enough clean KTPs from the generator")


def document_needing_review(owner: object, *, score: int = 62, index: int = 0) -> Document:
    made, jpeg = card(index=index)
    fields = dict(made.fields)
    document_id = uuid.uuid4()
    key = default_storage.save(f"documents/{owner.pk}/{document_id}/original.jpeg", ContentFile(jpeg))
    document = document_row(
        owner, id=document_id, storage_key=key, sha256=hashlib.sha256(jpeg).hexdigest(), size_bytes=len(jpeg)
    )
    nik = fields.get("nik", "")
    profile = Profile.objects.get(user=owner)
    profile.full_name, profile.nik, profile.nik_hash = fields.get("name", ""), nik, nik_blind_index(nik)
    profile.date_of_birth = dt.date.fromisoformat(fields["birth_date"]) if "birth_date" in fields else None
    profile.save()
    reading = {
        "doc_type": "KTP",
        "fields": fields,
        "confidence": {name: (0.62 if name == "name" else 0.95) for name in fields},
        "quality": {"sharpness": 0.7},
        "checks": [{"code": "nik_birth_date_matches", "message": "The NIK's date matches the birth date."}],
    }
    # In processing as after `start_kyc_workflow`, without its OCR message: no worker reads it.
    services.transition_document(
        document_id=document.id, apply=lambda d: d.start_processing(), actor_kind="system"
    )
    # The deciding transaction of the pipeline (kyc.services.ingest_reading), with the
    # scorer's verdict given: the reviews tests choose the score and reasons they need.
    evaluation = scoring.Evaluation(score, tuple(scoring.Reason(**reason) for reason in REASONS))
    with transaction.atomic():
        locked = services.lock_document(document.id)
        services.save_reading(document=locked, reading=reading, reading_key=f"readings/{document_id}.json")
        services.decide_document(document=locked, evaluation=evaluation)
    return Document.objects.get(pk=document.id)
