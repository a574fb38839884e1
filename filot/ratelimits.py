"""Rate limits on top of django-ratelimit that know how long the client must wait."""

import functools
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited

log = structlog.get_logger(__name__)


class RateLimitExceeded(Ratelimited):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests.")
        self.retry_after = max(1, retry_after)


def enforce(request: Any, *, group: str, key: str | Callable, rate: str) -> None:
    """Count this request against `rate` and raise `RateLimitExceeded` past it.

    The counters live in the cache (Redis). When it is unreachable the limit fails
    open, loudly: an upload or a log-in must not fail because Redis is down (the
    documents wait in the database for the broker), and an outage shows in
    /health/ready and in these log lines.
    """
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    except Exception as error:  # the cache backend's own errors (redis.ConnectionError, OSError...)
        log.warning("ratelimit_unavailable", group=group, error=type(error).__name__)
        return
    if usage and usage["should_limit"]:
        raise RateLimitExceeded(retry_after=usage["time_left"])


# A rate is a django-ratelimit string ("10/m") or a callable returning one (`setting_rate`).
Rate = str | Callable[[str, Any], str]


def rate_limited(group: str, limits: Iterable[tuple[str | Callable, Rate]]) -> Callable:
    """Decorate a view function (or a DRF handler method) with several limits.

    `limits` are (key, rate) pairs in django-ratelimit terms, e.g. ("ip", "10/m").
    Every limit is counted, so a client over one limit still uses up the others.
    """
    limits = list(limits)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            # A method's first argument is `self`; a DRF request wraps Django's.
            request = args[1] if len(args) > 1 and hasattr(args[1], "META") else args[0]
            request = getattr(request, "_request", request)
            exceeded = []
            for key, rate in limits:
                try:
                    enforce(request, group=group, key=key, rate=rate)
                except RateLimitExceeded as error:
                    exceeded.append(error)
            if exceeded:
                raise max(exceeded, key=lambda error: error.retry_after)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def setting_rate(name: str) -> Callable[[str, Any], str]:
    """A rate read from settings at request time (so an operator's override applies)."""
    from django.conf import settings

    return lambda group, request: getattr(settings, name)
