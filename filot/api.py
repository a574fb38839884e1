"""One JSON error shape for the whole API, and the mapping of errors to HTTP.

Every error answers `{"error": {"code", "message", "details"}}`. Services raise
plain exceptions (Django's ValidationError, PermissionDenied, Http404, django-fsm's
TransitionNotAllowed); this module is the one place that turns them into statuses.
An unexpected exception is logged with its traceback and answered with a generic
500: no stack trace or internal detail ever reaches a client.
"""

from collections.abc import Callable
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django_fsm import TransitionNotAllowed
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from filot.errors import Conflict, NotAuthenticated, PayloadTooLarge

log = structlog.get_logger(__name__)

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def error_body(status_code: int, message: str, *, code: str | None = None, details: Any = None) -> dict:
    return {
        "error": {"code": code or _CODES.get(status_code, "error"), "message": message, "details": details}
    }


def error_response(
    status_code: int, message: str, *, code: str | None = None, details: Any = None
) -> JsonResponse:
    return JsonResponse(error_body(status_code, message, code=code, details=details), status=status_code)


def _retry_after(error: Exception) -> int:
    return getattr(error, "retry_after", None) or 60


class _Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Not allowed in the current state."
    default_code = "conflict"


class _PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "payload_too_large"


_SUSPICIOUS = {
    "TooManyFilesSent": "Too many files in one request: send exactly one.",
    "TooManyFieldsSent": "Too many form fields in one request.",
}

#: The database is down or unreachable: nothing was stored half-way (every write is
#: one transaction), so the client may simply retry.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 5


class _Unavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is briefly unavailable. Try again shortly."
    default_code = "unavailable"


def _as_drf_exception(exc: Exception) -> Exception:
    """Translate Django and django-fsm errors into the DRF exception with the right status."""
    if isinstance(exc, Ratelimited):
        throttled = exceptions.Throttled(wait=_retry_after(exc), detail="Too many requests. Try again later.")
        return throttled
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return exceptions.ValidationError(detail=detail)
    if isinstance(exc, RequestDataTooBig):
        return _PayloadTooLarge(detail="The request body is too large.")
    if isinstance(exc, SuspiciousOperation):
        # TooManyFilesSent, TooManyFieldsSent, a malformed multipart body...: the client's doing.
        return exceptions.ParseError(detail=_SUSPICIOUS.get(type(exc).__name__, "The request is malformed."))
    if isinstance(exc, PayloadTooLarge):
        return _PayloadTooLarge(detail=str(exc) or None)
    if isinstance(exc, TransitionNotAllowed):
        # In plain words: never the state machine's internal message (method names).
        status_now = getattr(getattr(exc, "object", None), "status", None)
        state = f"while the document is {status_now}" if status_now else "in the current state"
        return _Conflict(detail=f"This is not allowed {state}.")
    if isinstance(exc, Conflict):
        conflict = _Conflict(detail=str(exc) or None)
        conflict.details = exc.details  # type: ignore[attr-defined]
        return conflict
    if isinstance(exc, NotAuthenticated):
        return exceptions.AuthenticationFailed(detail=str(exc) or None, code="token_not_valid")
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DATABASE_UNAVAILABLE):
        log.error("database_unavailable", error=type(exc).__name__)
        return _Unavailable()
    return exc


def _message_and_details(exc: exceptions.APIException) -> tuple[str | None, str, Any]:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        return "validation_error", "The request is not valid.", detail
    if isinstance(detail, dict) and "detail" in detail:  # simplejwt's token errors
        return str(detail.get("code") or "") or None, str(detail["detail"]), None
    code = exc.get_codes() if isinstance(detail, str) else None
    return (code if isinstance(code, str) else None), str(detail), getattr(exc, "details", None)


def exception_handler(exc: Exception, context: dict) -> Response:
    exc = _as_drf_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        log.exception("unhandled_exception", path=getattr(context.get("request"), "path", None))
        return Response(error_body(500, "Internal server error."), status=500)
    code, message, details = _message_and_details(exc)
    if isinstance(exc, exceptions.Throttled):
        code = "rate_limited"
    response.data = error_body(response.status_code, message, code=code, details=details)
    if isinstance(exc, _Unavailable):
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's RATELIMIT_VIEW for plain Django views."""
    response = error_response(429, "Too many requests. Try again later.")
    response["Retry-After"] = str(_retry_after(exception))
    return response


def _wants_json(request: HttpRequest) -> bool:
    return not request.path.startswith("/admin/") or "application/json" in request.headers.get("Accept", "")


class JsonErrorMiddleware:
    """Unhandled exceptions in non-DRF views (health, metrics) answer the JSON shape too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404 | DjangoPermissionDenied) or not _wants_json(request):
            return None  # Django's own handlers below answer these.
        if isinstance(exception, DATABASE_UNAVAILABLE):
            log.error("database_unavailable", path=request.path, error=type(exception).__name__)
            response = error_response(503, _Unavailable.default_detail)
            response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
            return response
        log.exception("unhandled_exception", path=request.path)
        return error_response(500, "Internal server error.")


class ApiResponseMiddleware:
    """Under /api/: nothing is cached (`Cache-Control: no-store`: responses carry personal
    data and tokens), and Django's own HTML 404 page (DEBUG's technical one included)
    becomes the JSON error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        if response.status_code == 404 and "text/html" in response.get("Content-Type", ""):
            response = error_response(404, "Not found.")
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response


def _django_handler(status_code: int, message: str) -> Callable[..., HttpResponse]:
    from django.views import defaults

    fallbacks: dict[int, Callable[..., HttpResponse]] = {
        400: defaults.bad_request,
        403: defaults.permission_denied,
        404: defaults.page_not_found,
        500: defaults.server_error,
    }
    fallback = fallbacks[status_code]

    def handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if not _wants_json(request):
            return fallback(request) if status_code == 500 else fallback(request, exception)
        return error_response(status_code, message)

    return handler


handler400 = _django_handler(400, "Bad request.")
handler403 = _django_handler(403, "You do not have permission to perform this action.")
handler404 = _django_handler(404, "Not found.")
handler500 = _django_handler(500, "Internal server error.")


class StrictSerializer(serializers.Serializer):
    """A request serializer that refuses fields it does not know, and a number or a list
    where a string is asked for (DRF's CharField would turn 0 into "0")."""

    def validate(self, attrs: dict) -> dict:
        initial = getattr(self, "initial_data", {}) or {}
        unknown = sorted(set(initial) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        not_text = [
            name
            for name, field in self.fields.items()
            if isinstance(field, serializers.CharField) and initial.get(name) is not None
            and not isinstance(initial.get(name), str)
        ]  # fmt: skip
        if not_text:
            raise serializers.ValidationError({name: ["Not a valid string."] for name in not_text})
        return attrs


class ErrorSerializer(serializers.Serializer):
    """The error shape every endpoint answers with (documentation only)."""

    class Body(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()
        details = serializers.JSONField(allow_null=True)

    error = Body()


def error_responses(*statuses: int) -> dict:
    """drf-spectacular `responses` entries for the given error statuses.

    405, 406, 415 and 503 (wrong method, Accept header or body type; the database down) can
    come from any endpoint and are always listed.
    """
    from drf_spectacular.utils import OpenApiResponse

    codes = sorted({*statuses, 405, 406, 415, 503})
    return {code: OpenApiResponse(ErrorSerializer, description=_CODES.get(code, "error")) for code in codes}
