"""API keys for a client's server: issued once, kept as a keyed hash, sent as `X-API-Key`.

A key reads `flk_<prefix>_<secret>`: the prefix finds the row, and an HMAC-SHA256 of
the whole key (keyed with SECRET_KEY) is compared in constant time. Revoked keys fail
exactly like unknown ones.
"""

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from kyc.integrations.models import ApiKey

HEADER = "X-API-Key"
# last_used_at is written at most this often per key: not one UPDATE per request.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def _digest(key: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()


def create_api_key(*, name: str) -> tuple[ApiKey, str]:
    """A new key; returns the row and the key itself, which is shown once and never stored."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("An API key needs a name.")
    prefix = secrets.token_hex(6)
    key = f"flk_{prefix}_{secrets.token_urlsafe(32)}"
    return ApiKey.objects.create(name=name[:100], prefix=prefix, secret_hash=_digest(key)), key


def revoke_api_key(*, api_key_id: uuid.UUID) -> ApiKey:
    with transaction.atomic():
        api_key = ApiKey.objects.select_for_update().get(pk=api_key_id)
        if api_key.revoked_at is None:
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
    return api_key


def find_api_key(key: str) -> ApiKey | None:
    """The active key matching `key`, or None."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "flk":
        return None
    api_key = ApiKey.objects.filter(prefix=parts[1][:16], revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _digest(key)):
        return None
    return api_key


@dataclass(frozen=True)
class ApiClient:
    """`request.user` for an API-key request: the client, not a person."""

    api_key: ApiKey

    is_authenticated = True
    is_active = True
    is_staff = False

    @property
    def pk(self) -> str:
        return f"apikey:{self.api_key.pk}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """DRF authentication by the `X-API-Key` header."""

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiKey] | None:
        key = request.headers.get(HEADER, "")
        if not key:
            return None
        api_key = find_api_key(key.strip()[:200])
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return ApiClient(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return HEADER


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The `X-API-Key` security scheme in the OpenAPI document."""

    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "apiKey", "in": "header", "name": HEADER}
