"""Accounts and JWT: register, obtain, refresh (rotating, single use), log out, change password.

Tokens carry a fingerprint of the password hash (simplejwt's CHECK_REVOKE_TOKEN), so
every access and refresh token issued before a password change is refused; a
deactivated or deleted account's tokens are refused too (401, never a 500).
"""

import hashlib
import json
import math
import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from filot.api import StrictSerializer, error_responses
from filot.network import client_ip
from filot.ratelimits import Limits, RateLimitExceeded, rate_limited, setting_rate
from kyc import services
from kyc.models import User
from kyc.signed_in import signed_in_user

log = structlog.get_logger(__name__)
T = TypeVar("T")


def account_key(group: str, request: HttpRequest) -> str:
    """Rate-limit key: the email the request names."""
    try:
        email = json.loads(request.body or b"{}").get("email", "")
    except (ValueError, AttributeError, RecursionError):
        email = request.POST.get("email", "")
    return str(email).strip().lower() or "no-email"


IP_LIMIT = [("ip", setting_rate("AUTH_RATE_LIMIT"))]
AUTH_LIMITS: Limits = [*IP_LIMIT, (account_key, setting_rate("AUTH_RATE_LIMIT"))]


class TokenPair(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


def token_pair(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class RegisterApi(APIView):
    """The same answer whether or not the email has an account (docs/DESIGN.md, "Accounts")."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    class RegisterInput(StrictSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)

    class RegisterOutput(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(
        request=RegisterInput, responses={201: RegisterOutput, **error_responses(400, 429)}, auth=[]
    )
    @rate_limited("auth-register", AUTH_LIMITS)
    def post(self, request: Request) -> Response:
        data = self.RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = services.register_user(**data.validated_data)
        return Response(self.RegisterOutput({"email": email}).data, status=201)


# --- log-in: failures back off per account *and* address ------------------------------
def _failure_key(email: str, address: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{address}".encode()).hexdigest()[:32]
    return f"filot:auth-failures:{digest}"


def _backoff_seconds(failures: int) -> int:
    """Free attempts first, then a wait doubling with each further failure (capped)."""
    extra = failures - settings.AUTH_FAILURES_BEFORE_BACKOFF
    if extra < 0:
        return 0
    return min(settings.AUTH_BACKOFF_BASE_SECONDS * 2**extra, settings.AUTH_BACKOFF_MAX_SECONDS)


class TokenInput(TokenObtainPairSerializer):
    def validate(self, attrs: dict) -> dict:
        # Register lower-cases the email, so log-in accepts it in any case.
        attrs[self.username_field] = str(attrs[self.username_field]).strip().lower()
        return super().validate(attrs)


class PublicAuthApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # refused credentials answer 401, not 403


class TokenApi(PublicAuthApi):
    """Log in. Wrong passwords slow down only the account *from that address*: someone
    guessing from elsewhere cannot lock the real user out of their own address."""

    @extend_schema(request=TokenInput, responses={200: TokenPair, **error_responses(400, 401, 429)}, auth=[])
    @rate_limited("auth-token", IP_LIMIT)
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data, context={"request": request})
        email = request.data.get("email", "") if isinstance(request.data, dict) else ""
        key = _failure_key(str(email), client_ip(request))
        if wait := _waiting(key):
            raise RateLimitExceeded(retry_after=wait)
        try:
            data.is_valid(raise_exception=True)
        except exceptions.AuthenticationFailed:
            _count_failure(key)
            raise
        _cache_call(cache.delete_many, [key, f"{key}:until"])
        return Response(data.validated_data)


def _cache_call(call: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """The counters live in the cache (Redis); when it is down, log-in fails open, loudly."""
    try:
        return call(*args, **kwargs)
    except Exception as error:  # the cache backend's own errors (redis.ConnectionError, OSError...)
        log.warning("auth_backoff_unavailable", error=type(error).__name__)
        return None


def _waiting(key: str) -> int:
    until = _cache_call(cache.get, f"{key}:until")
    return max(1, math.ceil(until - time.time())) if until and until > time.time() else 0


def _count_failure(key: str) -> None:
    window = settings.AUTH_FAILURE_WINDOW_SECONDS
    added = _cache_call(cache.add, key, 1, timeout=window)
    failures = 1 if added else (_cache_call(cache.incr, key) or 1)
    if wait := _backoff_seconds(int(failures)):
        _cache_call(cache.set, f"{key}:until", time.time() + wait, timeout=wait)


class TokenRefreshApi(PublicAuthApi):
    """Trade a refresh token for a new pair, once: of N concurrent refreshes of one
    token exactly one succeeds (the blacklist row is the database's single winner)."""

    class RefreshInput(StrictSerializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        request=RefreshInput, responses={200: TokenPair, **error_responses(400, 401, 429)}, auth=[]
    )
    @rate_limited("auth-refresh", IP_LIMIT)
    def post(self, request: Request) -> Response:
        data = self.RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.redeem_refresh_token(token=data.validated_data["refresh"])
        return Response(token_pair(user))


class LogoutApi(APIView):
    class LogoutInput(StrictSerializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(request=LogoutInput, responses={204: None, **error_responses(400, 401)})
    def post(self, request: Request) -> Response:
        data = self.LogoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
            if str(token["user_id"]) != str(request.user.id):
                raise TokenError("Token belongs to another account.")
            token.blacklist()
        except TokenError as error:
            raise serializers.ValidationError({"refresh": [str(error)]}) from error
        return Response(status=204)


class PasswordApi(APIView):
    """Change the password: every token issued before stops working; a new pair is answered."""

    class PasswordInput(StrictSerializer):
        current_password = serializers.CharField(max_length=128, trim_whitespace=False)
        new_password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=PasswordInput, responses={200: TokenPair, **error_responses(400, 401, 429)})
    @rate_limited("auth-password", [("user", setting_rate("AUTH_RATE_LIMIT"))])
    def post(self, request: Request) -> Response:
        data = self.PasswordInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.change_password(user=signed_in_user(request), **data.validated_data)
        return Response(token_pair(user))
