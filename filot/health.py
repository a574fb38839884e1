"""Liveness (`/health`) and readiness (`/health/ready`).

Readiness runs every registered check and answers 503 when any is down. Apps add
their own checks from `AppConfig.ready()` with `register_check`, so this module
never imports them (ocr_gpu registers the OCR engine's).

The checks run side by side, and the probe answers within READINESS_TIMEOUT_MS
whatever they do: a check still running then (a frozen Redis or database) is reported
as timed out, and the probe answers 503, inside the load balancer's health-check
timeout. Each check also has its own client timeout (Redis 1 s, database connect 3 s).
"""

import concurrent.futures
import time
from collections.abc import Callable

import redis
import structlog
from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from filot.ratelimits import rate_limited, setting_rate
from filot.redis_client import FailFastConnectionPool

log = structlog.get_logger(__name__)
Check = Callable[[], dict | None]
_checks: dict[str, Check] = {}


def register_check(name: str, check: Check) -> None:
    """`check` raises when the dependency is down; it may return extra detail."""
    _checks[name] = check


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"mode": "embedded (no REDIS_URL: in-process broker)"}
    # Through the process's breaker: with Redis frozen a probe costs one socket timeout
    # per REDIS_BREAKER_SECONDS, then fails at once.
    pool = FailFastConnectionPool.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_MS / 1000,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT_MS / 1000,
    )
    client = redis.Redis(connection_pool=pool)
    try:
        client.ping()
    finally:
        pool.disconnect()
    return {}


def check_storage() -> dict:
    # exists() is a HEAD on object storage and a stat locally: it proves the
    # credentials and the bucket without writing anything.
    default_storage.exists("health/probe")
    return {"backend": type(storages["default"]).__name__}


register_check("database", check_database)
register_check("redis", check_redis)
register_check("storage", check_storage)


# Probes come every few seconds; a check stuck on a frozen dependency keeps its thread
# until its own client timeout ends it, so a few threads are enough.
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="readiness")


def _run_one(name: str, check: Check) -> dict:
    started = time.perf_counter()
    try:
        detail = check() or {}
        result = {"ok": True, "error": None, **detail}
    except Exception as error:  # a readiness probe reports every failure, whatever it is
        log.warning("readiness_check_failed", check=name, error=f"{type(error).__name__}: {error}")
        # Production answers without internal detail; the log line has it.
        shown = "unavailable" if settings.PRODUCTION else f"{type(error).__name__}: {error}"[:300]
        result = {"ok": False, "error": shown}
    finally:
        # This pool thread's own database connection: closed, never left to go stale.
        connection.close()
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def run_checks() -> tuple[bool, dict[str, dict]]:
    started = time.perf_counter()
    deadline = time.monotonic() + settings.READINESS_TIMEOUT_MS / 1000
    futures = {name: _pool.submit(_run_one, name, check) for name, check in _checks.items()}
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            log.warning("readiness_check_timed_out", check=name, timeout_ms=settings.READINESS_TIMEOUT_MS)
            waited = round((time.perf_counter() - started) * 1000, 1)
            results[name] = {"ok": False, "error": "timed out", "latency_ms": waited}
    return all(result["ok"] for result in results.values()), results


@never_cache
@require_GET
@rate_limited("health", [("ip", setting_rate("HEALTH_RATE_LIMIT"))])
def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
@rate_limited("health", [("ip", setting_rate("HEALTH_RATE_LIMIT"))])
def readiness(request: HttpRequest) -> JsonResponse:
    ready, checks = run_checks()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
