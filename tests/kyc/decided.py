"""A document decided the way the pipeline's `default`-queue step decides it
(kyc.services.ingest_reading): its reading saved, scored with `scoring_inputs`, and
`decide_document` under the row lock. Synthetic identities only."""

import datetime as dt
import hashlib
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import TestCase

from idnumbers.nik import make_nik
from idnumbers.npwp import luhn_check_digit
from kyc import scoring, services
from kyc.models import Document
from kyc.services.rescoring import rescore_npwps_after_ktp
from tests.factories import document_row

BIRTH = dt.date(1990, 8, 17)
NIK = make_nik("3171", 1, BIRTH, female=False, serial=42)
NAME = "BUDI SANTOSO"
CLEAN_QUALITY = {"sharpness": 150.0, "glare": 0.0, "card_width_px": 900.0}


def npwp15(payload: str = "09254294", rest: str = "407000") -> str:
    return payload + luhn_check_digit(payload) + rest


def ktp_reading(**fields: str) -> dict:
    values = {"nik": NIK, "name": NAME, "birth_date": BIRTH.isoformat(), "gender": "MALE",
              "address": "JL. MELATI NO. 12", "valid_until": "SEUMUR HIDUP", **fields}  # fmt: skip
    return _reading("KTP", values)


def npwp_reading(*, low: tuple[str, ...] = (), **fields: str) -> dict:
    return _reading("NPWP", {"npwp": npwp15(), "name": NAME, "nik": NIK, **fields}, low=low)


def _reading(doc_type: str, fields: dict, *, low: tuple[str, ...] = ()) -> dict:
    return {
        "doc_type": doc_type,
        "fields": fields,
        "confidence": {name: (0.5 if name in low else 0.95) for name in fields},
        "quality": dict(CLEAN_QUALITY),
        "checks": [],
        "error": None,
    }


def decide_reading(owner: object, reading: dict, *, jpeg: bytes | None = None, **row: object) -> Document:
    """Upload row -> processing -> reading saved, scored and decided, in one transaction."""
    document_id = uuid.uuid4()
    key = f"documents/{owner.pk}/{document_id}/original.jpeg"
    if jpeg is not None:
        key = default_storage.save(key, ContentFile(jpeg))
    digest = hashlib.sha256(jpeg or document_id.bytes).hexdigest()
    document = document_row(
        owner, id=document_id, doc_type=reading["doc_type"], storage_key=key, sha256=digest, **row
    )
    services.transition_document(
        document_id=document.id, apply=lambda d: d.start_processing(), actor_kind="system"
    )
    with TestCase.captureOnCommitCallbacks() as callbacks, transaction.atomic():
        locked = services.lock_document(document.id)
        services.save_reading(
            document=locked, reading=reading, reading_key=f"{key.rsplit('/', 1)[0]}/reading.json"
        )
        evaluation = scoring.evaluate(
            reading=reading, declared_type=locked.doc_type, **services.scoring_inputs(document=locked)
        )
        services.decide_document(document=locked, evaluation=evaluation)
    _rescore_as_after_commit(callbacks)
    return Document.objects.get(pk=document.id)


def _rescore_as_after_commit(callbacks: list) -> None:
    """The KTP's after-commit re-score of its NPWPs, run here when only the test case's
    own transaction is left open (where production would have committed); a transactional
    test or a caller's open transaction runs it at its real commit."""
    if not all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        return
    for callback in callbacks:
        if getattr(callback, "func", None) is rescore_npwps_after_ktp:
            callback()
