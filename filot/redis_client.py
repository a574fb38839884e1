"""Redis clients that fail fast: short connect and socket timeouts, and a breaker.

A frozen Redis (a stopped process, a saturated host) still accepts TCP connections
(the kernel's backlog answers), so only a socket timeout ends a call. The web's calls
to Redis (rate-limit counters in the cache, the broker send of an upload) all fail
open, so a timeout is survivable; waiting for it on every call is not. After one call
times out or cannot connect, the breaker makes every other call in this process fail
at once for REDIS_BREAKER_SECONDS, then lets calls try again. An upload with Redis
frozen thus costs one timeout at most (REDIS_SOCKET_TIMEOUT_MS), not one per call.
"""

import threading
import time
from typing import Any

import redis
import structlog
from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = structlog.get_logger(__name__)


class RedisUnavailable(redis.ConnectionError):
    """Refused without trying: a call in this process failed moments ago."""


class Breaker:
    """Open for `seconds` after a failure; thread-safe, per process."""

    def __init__(self) -> None:
        self.enabled = True
        self._open_until = 0.0
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.enabled and time.monotonic() < self._open_until:
            raise RedisUnavailable("Redis failed moments ago; not trying again yet.")

    def trip(self, error: BaseException) -> None:
        with self._lock:
            opening = time.monotonic() >= self._open_until
            self._open_until = time.monotonic() + settings.REDIS_BREAKER_SECONDS
        if opening:
            seconds = settings.REDIS_BREAKER_SECONDS
            log.warning("redis_breaker_open", error=type(error).__name__, seconds=seconds)

    def reset(self) -> None:
        self._open_until = 0.0

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        self.check()
        try:
            return function(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
            self.trip(error)
            raise


breaker = Breaker()


class _FailFastClient(RedisCacheClient):
    """Django's Redis cache client, every call through the breaker."""

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name.startswith("_") or not callable(attribute) or name == "get_client":
            return attribute
        return lambda *args, **kwargs: breaker.call(attribute, *args, **kwargs)


class FailFastRedisCache(RedisCache):
    """settings.CACHES backend: short timeouts (OPTIONS) and the process's breaker."""

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = _FailFastClient
