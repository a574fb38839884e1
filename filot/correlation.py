"""Correlation ids: one per request, carried into every log line and dramatiq message.

The id lives in structlog's context variables, which `filot.logging` merges into
every line (standard-library loggers included) and `filot.broker` copies into the
options of every message sent while it is bound.
"""

import re
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("correlation_id")


def bind_correlation_id(value: str | None) -> str:
    """Bind `value` (or a new id when it is missing or malformed) and return it."""
    correlation_id = value if value and _ACCEPTABLE.match(value) else new_correlation_id()
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    return correlation_id


def unbind_correlation_id() -> None:
    structlog.contextvars.unbind_contextvars("correlation_id")


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        correlation_id = bind_correlation_id(request.headers.get(HEADER))
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.clear_contextvars()
        response[HEADER] = correlation_id
        return response
