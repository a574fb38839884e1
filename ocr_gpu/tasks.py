"""The OCR actor, run by GPU hosts: `manage.py rundramatiq --queues ocr-gpu`.

It reads the image from storage, runs the engine, writes the reading into private
storage beside the image, sealed to READING_PUBLIC_KEY (filot/sealing.py: this host
can write it but not read it back), announces the result on the results channel (no
personal data), and returns the reading's storage key for the next actor of the
pipeline. It never touches the database.
"""

import io
import json
import time

import dramatiq
import redis
import structlog
from django.conf import settings
from django.core.files.storage import default_storage
from dramatiq.middleware import CurrentMessage

from filot import sealing
from filot.queues import OCR_QUEUE
from filot.write_once import create_once
from ocr_gpu.config import engine_config

log = structlog.get_logger(__name__)


def reading_key(storage_key: str, message_id: str | None = None) -> str:
    """Beside the image, one file per read: a redundant read (a re-sent message whose
    first copy also ran) never overwrites the reading a decision was made on."""
    folder = storage_key.rsplit("/", 1)[0]
    return f"{folder}/reading-{message_id}.json" if message_id else f"{folder}/reading.json"


def store_reading_once(key: str, sealed: bytes, *, document_id: str) -> None:
    """Write the reading at `key` unless a complete one is there already.

    The write is conditional on the storage itself (`filot.write_once`): of copies of one
    message writing at once (a time-limit retry, a stalled worker's redelivery), exactly
    one lands. The others find the first copy's reading, which a decision may already
    rest on: it is kept, byte for byte. Only a damaged leftover (an in-place write cut
    short by an older version) is replaced, by a conditional write again.
    """
    if create_once(key, sealed):
        return
    with default_storage.open(key, "rb") as stored:
        if sealing.is_sealed(stored.read()):
            log.info("ocr_reading_kept", document_id=document_id, reading_key=key)
            return
    log.warning("ocr_reading_damaged_replaced", document_id=document_id, reading_key=key)
    default_storage.delete(key)
    if not create_once(key, sealed):
        log.info("ocr_reading_kept", document_id=document_id, reading_key=key)  # a racing copy's


def store_card_image(card_image: object, reading_key: str) -> str | None:
    """The flattened, upright card the engine read, beside its reading (private, like the
    original), for reviewers: its key, or None when no card was flattened."""
    if card_image is None:
        return None
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(card_image)).save(buffer, "JPEG", quality=90)
    folder, name = reading_key.rsplit("/", 1)
    key = f"{folder}/{name.replace('reading', 'card', 1).removesuffix('.json')}.jpeg"
    if not create_once(key, buffer.getvalue()):
        log.info("ocr_card_kept", reading_key=reading_key)  # a copy of this message stored it first
    return key


def publish_result(payload: dict) -> None:
    """At-most-once notification; the database stays the source of truth."""
    if not settings.REDIS_URL:
        return
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        client.publish(settings.OCR_GPU_PUBLISH_CHANNEL, json.dumps(payload))
        client.close()
    except redis.RedisError as error:
        log.warning("ocr_result_publish_failed", error=str(error))


@dramatiq.actor(
    queue_name=OCR_QUEUE,
    max_retries=settings.OCR_GPU_MAX_RETRIES,
    min_backoff=settings.OCR_RETRY_MIN_BACKOFF_MS,
    max_backoff=settings.OCR_RETRY_MAX_BACKOFF_MS,
    time_limit=120_000,
)
def recognize(document_id: str, storage_key: str, doc_type: str) -> str:
    from ocr_gpu.engine import read_card  # heavy: ONNX Runtime and OpenCV load here, once

    started = time.perf_counter()
    with default_storage.open(storage_key, "rb") as image:
        reading = read_card(image.read(), doc_type_hint=doc_type, config=engine_config())
    contract = reading.to_contract()
    # The stored reading: the contract plus what reviewers and the scorer use.
    record = {**contract, "checks": reading.checks, "providers": reading.providers, "lines": reading.lines}
    message = CurrentMessage.get_current_message()
    key = reading_key(storage_key, message.message_id if message is not None else None)
    record["card_image_key"] = store_card_image(reading.card_image, key)
    sealed = sealing.seal(json.dumps(record).encode(), public_key=settings.READING_PUBLIC_KEY)
    store_reading_once(key, sealed, document_id=document_id)
    log.info(
        "ocr_done",
        document_id=document_id,
        doc_type=contract["doc_type"],
        gpu_processed=contract["gpu_processed"],
        total_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    publish_result(
        {
            "document_id": document_id,
            "correlation_id": structlog.contextvars.get_contextvars().get("correlation_id"),
            "status": "error" if contract["error"] else "read",
            "gpu_processed": contract["gpu_processed"],
            "timings_ms": contract["timings_ms"],
        }
    )
    return key
