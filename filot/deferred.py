"""Work a request leaves for after its response is sent.

A WSGI server (gunicorn) calls the response's close() once the last byte is written,
and Django then sends `request_finished`: work registered with `after_response`
during a request runs there, in the same thread, so the client does not wait for it.
Outside a request (commands, actors, the reaper) it runs at once. Such work must be
safe to lose with the process (a crash right after the response): the upload's start
is, since the reaper starts documents left `uploaded`. It must also be quick whatever
a dependency does, since the next request on this thread waits for it: the upload's
OCR dispatch reaches Redis through the process's breaker (filot/redis_client.py), so
with Redis frozen it fails at once (one socket timeout per process per
REDIS_BREAKER_SECONDS) and the document is owed to the reaper.
"""

from collections.abc import Callable
from contextvars import ContextVar

import structlog
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

log = structlog.get_logger(__name__)

_pending: ContextVar[list[tuple[Callable[[], object], dict]] | None] = ContextVar(
    "filot_after_response", default=None
)


def after_response(work: Callable[[], object]) -> None:
    """Run `work` once this request's response is sent (at once outside a request)."""
    pending = _pending.get()
    if pending is None:
        work()
        return
    # The request's log context (its correlation id) is cleared by then: carry it over.
    pending.append((work, structlog.contextvars.get_contextvars()))


def _run_pending(**kwargs: object) -> None:
    pending = _pending.get()
    _pending.set(None)  # from here on, this thread is outside a request
    for work, context in pending or ():
        with structlog.contextvars.bound_contextvars(**context):
            try:
                work()
            except Exception:  # the response is gone; what failed is logged and left to the reaper
                log.exception("after_response_failed")


request_finished.connect(_run_pending, dispatch_uid="filot.deferred")


class AfterResponseMiddleware:
    """Outermost middleware: opens the request's list of work for after the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        stale = _pending.get()
        if stale:  # a response this thread served was never closed
            log.warning("after_response_dropped", count=len(stale))
        _pending.set([])
        return self.get_response(request)
