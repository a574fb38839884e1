"""The verification pipeline's actors on the `default` queue, and its composition.

    ocr_gpu.tasks.recognize (queue ocr-gpu)  ──pipe: reading key──►  ingest_ocr_result (default)
             └── retries exhausted ──►  record_ocr_failure (default)

Message arguments are ids and storage keys only: brokers log failing messages with
their arguments and keep dead letters for days, so nothing personal rides in Redis.
The actors hold no business logic; `kyc.services` does the work. They import the
services at the top; a service reaches an actor only by a lazy import in the one
function that sends it (the house rule, docs/DESIGN.md).
"""

from typing import Any

import dramatiq
import structlog
from django.conf import settings
from dramatiq import pipeline

from filot.broker import MESSAGE_SCHEMA_VERSION
from filot.queues import DEFAULT_QUEUE
from kyc import services
from ocr_gpu.tasks import recognize

log = structlog.get_logger(__name__)


@dramatiq.actor(
    queue_name=DEFAULT_QUEUE,
    max_retries=10,
    min_backoff=1_000,
    max_backoff=60_000,
    time_limit=60_000,
)
def ingest_ocr_result(document_id: str, reading_key: str) -> None:
    """Save the reading, score it and decide; a duplicate delivery changes nothing."""
    services.ingest_reading(document_id=document_id, reading_key=reading_key)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=10, min_backoff=1_000, max_backoff=60_000)
def record_ocr_failure(message_data: dict, retry_info: dict) -> None:
    """`recognize` gave up after its retries: the document fails, with a reason."""
    options = message_data.get("options") or {}
    services.fail_ocr(
        document_id=message_data["args"][0],
        reason=f"The card could not be read after {retry_info.get('retries', 0) + 1} tries.",
        attempt=options.get("attempt"),
    )


def ocr_pipeline(
    *, document_id: str, storage_key: str, doc_type: str, correlation_id: str, attempt: int = 0
) -> pipeline:
    """recognize → ingest_ocr_result, each message stamped with the schema version and
    the document's correlation id (the pipe target is built here, so it carries the
    sender's version, not the GPU worker's)."""
    options: dict[str, Any] = {"correlation_id": correlation_id, "schema_version": MESSAGE_SCHEMA_VERSION}
    return pipeline(
        [
            recognize.message_with_options(
                args=(document_id, storage_key, doc_type),
                on_retry_exhausted=record_ocr_failure.actor_name,
                attempt=attempt,  # a failure is only the document's if it is still this attempt
                max_retries=settings.OCR_GPU_MAX_RETRIES,
                min_backoff=settings.OCR_RETRY_MIN_BACKOFF_MS,
                max_backoff=settings.OCR_RETRY_MAX_BACKOFF_MS,
                **options,
            ),
            ingest_ocr_result.message_with_options(args=(document_id,), **options),
        ]
    )
