"""Logging: structlog over the standard library, JSON lines in production.

Every line, whichever logger wrote it (ours, Django's, dramatiq's, a traceback), goes
through `MaskingFormatter`, which masks NIK/NPWP-like digit runs, bearer tokens and
the configured secrets in the final text. Masking the rendered line rather than the
event is what makes "whatever logger wrote it" hold.
"""

import logging
import logging.config
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import structlog
import structlog.tracebacks
from structlog.typing import EventDict, Processor

# 15-16 digits, each optionally followed by one '.', '-' or space separator (NPWP is
# printed as 12.345.678.9-012.345), standing alone: not part of a longer run of digits
# or letters, and not one group of a dashed id (a UUID's `12345678-1234-1234-...`).
_ID_NUMBER = re.compile(r"(?<![\w-])\d(?:[.\- ]?\d){14,15}(?![.\-]?\w)")
_JWT = re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")
_SENSITIVE_KEYS = frozenset(
    {"password", "token", "access", "refresh", "authorization", "secret", "nik", "npwp"}
)

_secret_values: list[str] = []


def mask_id_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"


def mask_text(text: str) -> str:
    for secret in _secret_values:
        text = text.replace(secret, "***")
    text = _JWT.sub("eyJ***", text)
    return _ID_NUMBER.sub(mask_id_number, text)


def redact_sensitive_keys(_logger: object, _name: str, event: EventDict) -> EventDict:
    for key in event.keys() & _SENSITIVE_KEYS:
        event[key] = "***"
    return event


def add_request_correlation_id(_logger: object, _name: str, event: EventDict) -> EventDict:
    """`django.request` lines ("Not Found: ...") are written after the request's context
    is cleared: take the correlation id from the request they are about, and log the
    request as method and path rather than its repr."""
    request = event.pop("request", None)
    if request is not None and hasattr(request, "META"):
        if "correlation_id" not in event and getattr(request, "correlation_id", None):
            event["correlation_id"] = request.correlation_id
        event["method"], event["path"] = request.method, request.path
    return event


class MaskingFormatter(structlog.stdlib.ProcessorFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def _url_passwords(urls: Iterable[str]) -> list[str]:
    return [password for url in urls if url and (password := urlsplit(url).password)]


def build_logging(*, json: bool, level: str, secrets: Iterable[str], urls: Iterable[str] = ()) -> None:
    # Only values long enough to be secrets: masking "" or "a" would mangle every line.
    _secret_values[:] = sorted(
        {s for s in [*secrets, *_url_passwords(urls)] if s and len(s) >= 8}, key=len, reverse=True
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_sensitive_keys,
    ]
    # Tracebacks never show local variables: they hold names, addresses and birth dates
    # the masking cannot recognize (structlog's and rich's defaults show them).
    renderer = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if json
        else structlog.dev.ConsoleRenderer(
            colors=False,
            exception_formatter=structlog.dev.RichTracebackFormatter(color_system=None, show_locals=False),
        )
    )
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:
        final.append(
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        )
    final.append(renderer)
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "filot": {
                    "()": MaskingFormatter,
                    "processors": final,
                    "foreign_pre_chain": [
                        *shared,
                        structlog.stdlib.ExtraAdder(),
                        add_request_correlation_id,
                    ],
                }
            },
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "filot"}},
            "root": {"handlers": ["console"], "level": level},
            "loggers": {
                "django.server": {"level": "WARNING" if json else "INFO"},
                "django.db.backends": {"level": "INFO"},
            },
        }
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
