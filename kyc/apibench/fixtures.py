"""The benchmark's users, documents and cards, written inside the stack's own settings
(its database, its data folder and keys), so gunicorn accepts the tokens and decrypts
the readings. Run as `manage.py api_benchmark --prepare-into DIR` by the benchmark."""

import datetime as dt
import json
import uuid
from pathlib import Path

from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from cardgen.cards import render_card
from kyc.apibench.urls import CEILING_PATH
from kyc.models import ActorKind, Document, DocumentTransition, OcrResult, Profile, Status, User

BENCH_DOMAIN = "api-benchmark.invalid"
# One document's way to a human decision: six audited status changes.
PATH = [
    ("", Status.UPLOADED),
    (Status.UPLOADED, Status.PROCESSING),
    (Status.PROCESSING, Status.OCR_COMPLETED),
    (Status.OCR_COMPLETED, Status.AI_EVALUATED),
    (Status.AI_EVALUATED, Status.NEEDS_REVIEW),
    (Status.NEEDS_REVIEW, Status.APPROVED),
]
# A reader's documents: one in flight, one waiting for review, two decided.
STEPS_PER_DOCUMENT = (2, 5, 6, 6)
READING = {
    "nik": "3171011708900001", "name": "BUDI SANTOSO", "birth_place": "JAKARTA",
    "birth_date": "1990-08-17", "gender": "MALE", "address": "JL. MERDEKA NO. 17",
    "rt_rw": "003/005", "village": "GAMBIR", "district": "GAMBIR", "religion": "ISLAM",
}  # fmt: skip


def _user(label: str) -> User:
    user = User.objects.create_user(email=f"{label}-{uuid.uuid4().hex[:8]}@{BENCH_DOMAIN}", password=None)
    Profile.objects.create(user=user, full_name="BUDI SANTOSO")
    return user


def _documents(user: User) -> list[Document]:
    documents, transitions, readings = [], [], []
    start = timezone.now() - dt.timedelta(hours=1)
    for steps in STEPS_PER_DOCUMENT:
        document_id = uuid.uuid4()
        document = Document(
            id=document_id, owner=user, doc_type="KTP", status=PATH[steps - 1][1],
            storage_key=f"documents/{user.id}/{document_id}/original.jpg", sha256=uuid.uuid4().hex * 2,
            size_bytes=120_000, detected_type="jpeg", width=1000, height=630, attempts=1,
            correlation_id=uuid.uuid4().hex, score=62 if steps >= 4 else None,
            reasons=[{"code": "name_matches", "effect": 20, "message": "The name matches the profile."}]
            if steps >= 4 else [],
        )  # fmt: skip
        documents.append(document)
        for index, (source, target) in enumerate(PATH[:steps]):
            at = start + dt.timedelta(seconds=index)
            transitions.append(
                DocumentTransition(
                    document=document,
                    from_status=source,
                    to_status=target,
                    at=at,
                    actor_kind=ActorKind.SYSTEM,
                    reason=target,
                )
            )
        if steps >= 3:
            key = f"{document_id}.json"
            readings.append(OcrResult(document=document, doc_type="KTP", fields=READING, reading_key=key))
    Document.objects.bulk_create(documents)
    DocumentTransition.objects.bulk_create(transitions)
    OcrResult.objects.bulk_create(readings)
    return documents


def _write_targets(path: Path, rows: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{target}\t{token}\n" for target, token in rows))


def prepare(*, out: Path, readers: int, uploaders: int, cards: int, seed: int) -> dict:
    """Users, documents, tokens and card files for wrk; returns what was made."""
    status, detail, listing, ceiling = [], [], [], []
    for index in range(readers):
        user = _user(f"reader{index}")
        token = str(AccessToken.for_user(user))
        for document in _documents(user):
            status.append((f"/api/v1/verification/status/{document.id}", token))
            detail.append((f"/api/v1/documents/{document.id}", token))
        listing.append(("/api/v1/documents", token))
        ceiling.append((f"/{CEILING_PATH}", token))
    for name, rows in (("status", status), ("detail", detail), ("list", listing), ("ceiling", ceiling)):
        _write_targets(out / f"{name}.targets", rows)
    tokens = [str(AccessToken.for_user(_user(f"uploader{index}"))) for index in range(uploaders)]
    (out / "upload.tokens").write_text("".join(f"{token}\n" for token in tokens))
    card_rows = []
    for index in range(cards):
        card, jpeg = render_card(seed, index)
        (out / f"card{index}.jpg").write_bytes(jpeg)
        card_rows.append((str(out / f"card{index}.jpg"), card.doc_type))
    _write_targets(out / "upload.cards", card_rows)
    summary = {"readers": readers, "documents": len(status), "uploaders": uploaders, "cards": cards}
    (out / "prepared.json").write_text(json.dumps(summary))
    return summary
