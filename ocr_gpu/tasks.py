"""The OCR actor, run by GPU hosts: `manage.py rundramatiq --queues ocr-gpu`.

It reads the image from storage, runs the engine, writes the reading as JSON into
private storage beside the image, announces the result on the results channel (no
personal data), and returns the reading's storage key for the next actor of the
pipeline. It never touches the database.
"""

import json
import time

import dramatiq
import redis
import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from dramatiq.middleware import CurrentMessage

from filot.queues import OCR_QUEUE
from ocr_gpu.config import engine_config

log = structlog.get_logger(__name__)


def reading_key(storage_key: str, message_id: str | None = None) -> str:
    """Beside the image, one file per read: a redundant read (a re-sent message whose
    first copy also ran) never overwrites the reading a decision was made on."""
    folder = storage_key.rsplit("/", 1)[0]
    return f"{folder}/reading-{message_id}.json" if message_id else f"{folder}/reading.json"


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
    if default_storage.exists(key):
        default_storage.delete(key)  # a retry of this same message replaces its earlier read
    key = default_storage.save(key, ContentFile(json.dumps(record).encode()))
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
