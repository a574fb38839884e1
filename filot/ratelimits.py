"""Rate limits on top of django-ratelimit's keys and windows, counted in one Redis
round trip per request, that know how long the client must wait."""

import functools
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis
import structlog
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string
from django_ratelimit import ALL

# django-ratelimit's own key and window scheme (pinned in requirements/base.txt), so its
# decorator and these limits count alike; only the counting below is ours.
from django_ratelimit.core import _ACCESSOR_KEYS, _SIMPLE_KEYS, _get_window, _make_cache_key, _split_rate
from django_ratelimit.exceptions import Ratelimited
from redis.commands.core import Script

log = structlog.get_logger(__name__)

# Every counter of a request in one script: atomic, one round trip. A counter's expiry
# is set by the request that creates it, so a window can never outlive its period.
_COUNT_SCRIPT = """
local counts = {}
for index, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[index]) end
  counts[index] = count
end
return counts
"""
# Like django-ratelimit: a counter lives a little past its window.
EXPIRATION_FUDGE = 5


class RateLimitExceeded(Ratelimited):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests.")
        self.retry_after = max(1, retry_after)


@dataclass(frozen=True, slots=True)
class _Counter:
    cache_key: str
    limit: int
    period: int
    window_end: int  # unix time


def _counter(request: Any, group: str, key: str | Callable, rate: str | Callable) -> _Counter | None:
    rate = rate(group, request) if callable(rate) else rate
    if rate is None:
        return None
    limit, period = _split_rate(rate)
    value = _key_value(group, request, key)
    window_end = _get_window(value, period)
    return _Counter(_make_cache_key(group, window_end, rate, value, ALL), limit, period, window_end)


def _key_value(group: str, request: Any, key: str | Callable) -> str:
    """django-ratelimit's key forms: a callable, "ip"/"user"/"user_or_ip", "post:field"
    (or get:, header:), or the dotted path of a callable."""
    if callable(key):
        return key(group, request)
    if key in _SIMPLE_KEYS:
        return _SIMPLE_KEYS[key](request)
    if ":" in key:
        accessor, name = key.split(":", 1)
        return _ACCESSOR_KEYS[accessor](request, name)
    return _imported(key)(group, request)


@functools.cache
def _imported(path: str) -> Callable:
    return import_string(path)


@functools.cache
def _count_script() -> Script:
    # Made once per process, bound to no connection (an unconnected client only lends
    # its encoder): each call names its client; EVALSHA, loaded on NOSCRIPT.
    return Script(redis.Redis(), _COUNT_SCRIPT)


# A redis.Redis per cache client (each thread's cache has its own, with its own pool):
# Django's get_client() builds a new one on every call, and that costs more than the
# script's round trip. A client is only its pool plus settings: safe to share.
_CLIENTS: "weakref.WeakKeyDictionary[Any, redis.Redis]" = weakref.WeakKeyDictionary()


def _redis(cache: RedisCache) -> redis.Redis:
    backend = cache._cache
    client = _CLIENTS.get(backend)
    if client is None:
        client = _CLIENTS[backend] = backend.get_client(write=True)
    return client


def _count(counters: list[_Counter]) -> list[int]:
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    ttls = [counter.period + EXPIRATION_FUDGE for counter in counters]
    if isinstance(cache, RedisCache):
        client = _redis(cache)
        keys = [cache.make_and_validate_key(counter.cache_key) for counter in counters]
        return [int(count) for count in _count_script()(keys=keys, args=ttls, client=client)]
    # The embedded mode's local-memory cache: one process, so add-then-incr is enough.
    counts = []
    for counter, ttl in zip(counters, ttls, strict=True):
        counts.append(1 if cache.add(counter.cache_key, 1, ttl) else cache.incr(counter.cache_key))
    return counts


Limits = Iterable[tuple[str | Callable, str | Callable]]


def count_request(request: Any, *, group: str, limits: Limits) -> None:
    """Count this request against every limit and raise `RateLimitExceeded` past any.

    Every limit is counted, so a client over one limit still uses up the others. The
    counters live in the cache (Redis). When it is unreachable the limit fails open,
    loudly: an upload or a log-in must not fail because Redis is down (the documents
    wait in the database for the broker), and an outage shows in /health/ready and in
    these log lines.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    counters = [c for c in (_counter(request, group, key, rate) for key, rate in limits) if c is not None]
    if not counters:
        return
    try:
        counts = _count(counters)
    except Exception as error:  # the cache backend's own errors (redis.ConnectionError, OSError...)
        log.warning("ratelimit_unavailable", group=group, error=type(error).__name__)
        return
    now = int(time.time())
    exceeded = [c.window_end - now for c, count in zip(counters, counts, strict=True) if count > c.limit]
    if exceeded:
        raise RateLimitExceeded(retry_after=max(exceeded))


def enforce(request: Any, *, group: str, key: str | Callable, rate: str) -> None:
    """One limit: `count_request` with a single (key, rate)."""
    count_request(request, group=group, limits=[(key, rate)])


def rate_limited(group: str, limits: Limits) -> Callable:
    """Decorate a view function (or a DRF handler method) with several limits.

    `limits` are (key, rate) pairs in django-ratelimit terms, e.g. ("ip", "10/m").
    """
    limits = tuple(limits)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            # A method's first argument is `self`; a DRF request wraps Django's.
            request = args[1] if len(args) > 1 and hasattr(args[1], "META") else args[0]
            count_request(getattr(request, "_request", request), group=group, limits=limits)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def setting_rate(name: str) -> Callable[[str, Any], str]:
    """A rate read from settings at request time (so an operator's override applies)."""
    return lambda group, request: getattr(settings, name)
