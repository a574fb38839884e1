"""Redis clients that fail fast: short connect and socket timeouts, and a breaker.

A frozen Redis (a stopped process, a saturated host) still accepts TCP connections
(the kernel's backlog answers), so only a socket timeout ends a call. The web's calls
to Redis (rate-limit counters in the cache, the broker send of an upload after its
response, the readiness probe) all fail open, so a timeout is survivable; waiting for
it on every call is not. The breaker sits in the connection itself
(`FailFastConnectionPool`, used by the cache, the broker and the readiness check), so
no client of this process goes around it: after one call times out or cannot connect,
every Redis call of the process fails at once for REDIS_BREAKER_SECONDS; then one
call (a trial, in one thread) may try while every other still fails at once, and its
success closes the breaker. A frozen Redis thus costs the process one socket timeout
per REDIS_BREAKER_SECONDS, not one per call or per request.

Worker processes turn the breaker off (filot/worker_group.py): they have no request
to answer, and retry their own broker calls.
"""

import functools
import threading
import time
from typing import Any

import redis
import structlog
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

log = structlog.get_logger(__name__)


class RedisUnavailable(redis.ConnectionError):
    """Refused without trying: a call in this process failed moments ago."""


class Breaker:
    """Open for REDIS_BREAKER_SECONDS after a failure, then one trial; thread-safe, per process."""

    def __init__(self) -> None:
        self.enabled = True
        self._tripped = False
        self._open_until = 0.0
        self._trial_thread: int | None = None
        self._trial_until = 0.0
        self._lock = threading.Lock()

    def check(self) -> None:
        if not self.enabled or not self._tripped:
            return
        now = time.monotonic()
        me = threading.get_ident()
        with self._lock:
            if not self._tripped:
                return
            if self._trial_thread == me and now < self._trial_until:
                return  # the trial's own commands (connect, handshake, the call)
            if now < self._open_until or now < self._trial_until:
                raise RedisUnavailable("Redis failed moments ago; not trying again yet.")
            # Half open: this thread tries; the others fail at once until it is answered.
            self._trial_thread = me
            self._trial_until = now + _trial_seconds()

    def trip(self, error: BaseException) -> None:
        with self._lock:
            opening = not self._tripped
            self._tripped = True
            self._open_until = time.monotonic() + settings.REDIS_BREAKER_SECONDS
            self._trial_thread = None
            self._trial_until = 0.0
        if opening:
            seconds = settings.REDIS_BREAKER_SECONDS
            log.warning("redis_breaker_open", error=type(error).__name__, seconds=seconds)

    def succeeded(self) -> None:
        if not self._tripped:
            return
        with self._lock:
            closing = self._tripped
            self.reset()
        if closing:
            log.info("redis_breaker_closed")

    def reset(self) -> None:
        self._tripped = False
        self._open_until = 0.0
        self._trial_thread = None
        self._trial_until = 0.0

    @property
    def open(self) -> bool:
        return self.enabled and self._tripped

    def call(self, function: Any, *args: Any, answer: bool = True, **kwargs: Any) -> Any:
        """`function` through the breaker; an `answer` (a reply read) closes it, a
        connection or a sent command alone does not (a frozen Redis accepts both)."""
        self.check()
        try:
            result = function(*args, **kwargs)
        except RedisUnavailable:
            raise
        except redis.ResponseError:
            # An error reply (READONLY after a failover, OOM, NOSCRIPT) is still a reply:
            # Redis is there. The caller sees the real error, and the breaker closes.
            if answer:
                self.succeeded()
            raise
        except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
            if self.enabled:
                self.trip(error)
            raise
        if answer:
            self.succeeded()
        return result


def _trial_seconds() -> float:
    """Longest a trial call may take: the longest connect plus socket timeout of any client."""
    connect = settings.REDIS_CONNECT_TIMEOUT_MS
    socket = max(settings.REDIS_SOCKET_TIMEOUT_MS, settings.DRAMATIQ_SOCKET_TIMEOUT_MS)
    return (connect + socket) / 1000


breaker = Breaker()


class _FailFast:
    """A redis-py connection whose every step goes through the process's breaker."""

    def connect(self) -> None:
        breaker.call(super().connect, answer=False)  # type: ignore[misc]

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        breaker.call(super().send_packed_command, command, check_health, answer=False)  # type: ignore[misc]

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return breaker.call(super().read_response, *args, **kwargs)  # type: ignore[misc]


@functools.cache
def _fail_fast(connection_class: type) -> type:
    if issubclass(connection_class, _FailFast):
        return connection_class
    return type(f"FailFast{connection_class.__name__}", (_FailFast, connection_class), {})


class FailFastConnectionPool(redis.ConnectionPool):
    """A connection pool whose connections (TCP, TLS or a socket file, whatever the
    URL says) go through the breaker."""

    def __init__(self, connection_class: type = redis.Connection, **options: Any) -> None:
        super().__init__(connection_class=_fail_fast(connection_class), **options)


class FailFastRedisCache(RedisCache):
    """settings.CACHES backend: short timeouts (OPTIONS) and the process's breaker."""

    def __init__(self, server: str, params: dict) -> None:
        params = {**params, "OPTIONS": {**params.get("OPTIONS", {}), "pool_class": FailFastConnectionPool}}
        super().__init__(server, params)
