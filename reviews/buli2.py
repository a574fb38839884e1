"""The BULI2 client: one POST per review, with retries and a circuit breaker.

Retries (tenacity): network errors, 5xx and 429 are retried with exponential backoff
and jitter, BULI2_RETRY_ATTEMPTS attempts in all; any other answer is final.

Circuit breaker (pybreaker): every HTTP attempt goes through it; after
BULI2_BREAKER_FAIL_MAX consecutive failures it opens, calls then fail at once
without touching the network, and after BULI2_BREAKER_RESET_SECONDS one trial call
is let through (half-open). Its state lives in Redis when REDIS_URL is set, so every
gunicorn worker and every dramatiq process shares one view of BULI2's health (a
per-process breaker would let N processes each hammer a dead BULI2 N times over);
embedded mode runs one process, so memory storage is enough there.
"""

import functools
import json
from typing import Any

import pybreaker
import redis
import structlog
import urllib3
from django.conf import settings
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from reviews.signing import signed_image_url

log = structlog.get_logger(__name__)
BREAKER_NAMESPACE = "filot:buli2"
RETRYABLE_STATUSES = frozenset({429, *range(500, 600)})


class Buli2Error(Exception):
    """Forwarding to BULI2 did not succeed."""


class Buli2Unavailable(Buli2Error):
    """A network error, 5xx or 429: worth retrying later."""


class Buli2Refused(Buli2Error):
    """BULI2 answered a final 4xx: retrying the same request cannot help."""


class CircuitOpen(Buli2Unavailable):
    """The circuit breaker is open: BULI2 was not called."""


def _record_retry() -> None:
    """Count one retry in `filot_buli2_retry_count` (when filot.metrics exists)."""
    try:
        from filot.metrics import BULI2_RETRY_COUNT
    except ImportError:
        return
    BULI2_RETRY_COUNT.inc()


# --- the circuit breaker --------------------------------------------------------------
@functools.cache
def _storage(redis_url: str) -> pybreaker.CircuitBreakerStorage:
    if not redis_url:
        return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
    # Redis unreachable: behave as closed (try BULI2) rather than refuse every forward.
    return pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, client, namespace=BREAKER_NAMESPACE)


@functools.cache
def _breaker_for(redis_url: str, fail_max: int, reset_seconds: int) -> pybreaker.CircuitBreaker:
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_seconds,
        # A refusal is BULI2 working as designed, not BULI2 being down.
        exclude=[Buli2Refused],
        state_storage=_storage(redis_url),
        name="buli2",
    )


def breaker() -> pybreaker.CircuitBreaker:
    return _breaker_for(
        settings.REDIS_URL, settings.BULI2_BREAKER_FAIL_MAX, settings.BULI2_BREAKER_RESET_SECONDS
    )


def breaker_health() -> dict:
    """For /health/ready: reported, never failing readiness (BULI2 down is not FiLot down)."""
    if not settings.BULI2_ENABLED:
        return {"enabled": False}
    current = breaker()
    return {"enabled": True, "circuit": current.current_state, "failures": current.fail_counter}


# --- one review ----------------------------------------------------------------------
def review_payload(review: Any) -> dict:
    """What BULI2 gets: only what its reviewer needs to decide (docs/DESIGN.md, "BULI2").

    The card itself travels as a short-lived signed image URL; the reviewer reads it
    there. So no value read off the card is sent (no NIK, name, birth date, address):
    only which fields were read and how sure the OCR was, the score and the reasons
    (codes and messages that name checks, never values), and ids for the callback.
    """
    document = review.document
    reading = getattr(document, "ocr_result", None)
    image_url, expires_at = signed_image_url(document_id=str(document.id), storage_key=document.storage_key)
    confidence = dict(reading.confidence or {}) if reading is not None else {}
    return {
        "review_id": str(review.id),
        "document_id": str(document.id),
        "doc_type": document.doc_type,
        "fields_read": sorted((reading.fields or {}).keys()) if reading is not None else [],
        "confidence": {name: float(value) for name, value in confidence.items()},
        "score": document.score,
        "reasons": [
            {key: reason.get(key) for key in ("code", "effect", "message")}
            for reason in document.reasons or []
        ],
        "image_url": image_url,
        "image_url_expires_at": expires_at.isoformat(),
        "callback_url": settings.BULI2_CALLBACK_URL,
        "idempotency_key": idempotency_key(review),
    }


def idempotency_key(review: Any) -> str:
    # Stable for the review: every retry and every redelivered message sends the same one.
    return f"filot-review-{review.id}"


def send_review(review: Any) -> str:
    """POST the review to BULI2 and return BULI2's id for it; raises Buli2Error."""
    payload = review_payload(review)
    context = {"review_id": payload["review_id"], "document_id": payload["document_id"]}
    base_seconds = settings.BULI2_RETRY_BASE_MS / 1000

    def before_sleep(state: Any) -> None:
        _record_retry()
        log.warning(
            "buli2_retry",
            attempt=state.attempt_number,
            error=str(state.outcome.exception()),
            sleep_s=round(state.next_action.sleep, 3),
            **context,
        )

    retrying = Retrying(
        stop=stop_after_attempt(settings.BULI2_RETRY_ATTEMPTS),
        wait=wait_exponential_jitter(
            multiplier=base_seconds, jitter=base_seconds, max=settings.BULI2_RETRY_MAX_MS / 1000
        ),
        # An open circuit is not retried here: the cool-down is far longer than a backoff.
        retry=retry_if_exception(_worth_retrying),
        before_sleep=before_sleep,
        reraise=True,
    )
    body = retrying(_guarded_post, payload)
    log.info("buli2_review_sent", **context)
    return str(body.get("id") or body.get("review_id") or "")[:128] or payload["idempotency_key"]


def _worth_retrying(error: BaseException) -> bool:
    return isinstance(error, Buli2Unavailable) and not isinstance(error, CircuitOpen)


def _guarded_post(payload: dict) -> dict:
    try:
        return breaker().call(_post, payload)
    except pybreaker.CircuitBreakerError as error:
        raise CircuitOpen(f"BULI2 circuit open: {error}") from error


def _post(payload: dict) -> dict:
    url = settings.BULI2_API_URL.rstrip("/") + "/reviews"
    timeout = urllib3.Timeout(total=settings.BULI2_TIMEOUT_SECONDS)
    try:
        response = _pool().request(
            "POST",
            url,
            body=json.dumps(payload).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-API-Key": settings.BULI2_API_KEY,
                "Idempotency-Key": payload["idempotency_key"],
            },
            timeout=timeout,
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as error:
        raise Buli2Unavailable(f"BULI2 unreachable: {type(error).__name__}") from error
    if response.status in RETRYABLE_STATUSES:
        raise Buli2Unavailable(f"BULI2 answered {response.status}")
    if not 200 <= response.status < 300:
        raise Buli2Refused(f"BULI2 refused the review: {response.status}")
    try:
        body = json.loads(response.data or b"{}")
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


@functools.cache
def _pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(num_pools=4, maxsize=4)
