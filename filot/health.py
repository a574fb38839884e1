"""Liveness (`/health`) and readiness (`/health/ready`).

Readiness runs every registered check and answers 503 when any is down. Apps add
their own checks from `AppConfig.ready()` with `register_check`, so this module
never imports them (ocr_gpu registers the OCR engine's).
"""

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
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def check_storage() -> dict:
    # exists() is a HEAD on object storage and a stat locally: it proves the
    # credentials and the bucket without writing anything.
    default_storage.exists("health/probe")
    return {"backend": type(storages["default"]).__name__}


register_check("database", check_database)
register_check("redis", check_redis)
register_check("storage", check_storage)


def run_checks() -> tuple[bool, dict[str, dict]]:
    results = {}
    for name, check in _checks.items():
        started = time.perf_counter()
        try:
            detail = check() or {}
            result = {"ok": True, "error": None, **detail}
        except Exception as error:  # a readiness probe reports every failure, whatever it is
            log.warning("readiness_check_failed", check=name, error=f"{type(error).__name__}: {error}")
            # Production answers without internal detail; the log line has it.
            shown = "unavailable" if settings.PRODUCTION else f"{type(error).__name__}: {error}"[:300]
            result = {"ok": False, "error": shown}
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
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
