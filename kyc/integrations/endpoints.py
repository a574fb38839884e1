"""Webhook endpoints of an API key: register, list, remove, roll the signing secret."""

import base64
import datetime as dt
import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kyc.integrations.delivery import validate_webhook_url
from kyc.integrations.models import ApiKey, WebhookEndpoint, WebhookEvent

PREVIOUS_SECRET_VALIDITY = dt.timedelta(hours=24)
MAX_ENDPOINTS_PER_KEY = 10


def new_signing_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (the Standard Webhooks form)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create_webhook_endpoint(*, api_key: ApiKey, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint (the URL passes the SSRF guard); returns it and its secret, shown once."""
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown or not events:
        raise ValidationError({"events": [f"Choose among: {', '.join(WebhookEvent.values)}."]})
    validate_webhook_url(url)
    secret = new_signing_secret()
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=api_key.pk)  # serializes the count below
        if key.webhook_endpoints.filter(removed_at__isnull=True).count() >= MAX_ENDPOINTS_PER_KEY:
            raise ValidationError(
                {"url": [f"An API key may have at most {MAX_ENDPOINTS_PER_KEY} endpoints."]}
            )
        endpoint = WebhookEndpoint.objects.create(
            api_key=key, url=url, events=sorted(set(events)), secrets={"current": secret}
        )
    return endpoint, secret


def list_webhook_endpoints(*, api_key: ApiKey) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(api_key=api_key, removed_at__isnull=True).order_by("created_at")


def get_webhook_endpoint(*, api_key: ApiKey, endpoint_id: uuid.UUID | str) -> WebhookEndpoint:
    try:
        return list_webhook_endpoints(api_key=api_key).get(pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValidationError, ValueError, TypeError) as error:
        raise Http404("Not found.") from error


def remove_webhook_endpoint(*, api_key: ApiKey, endpoint_id: uuid.UUID | str) -> WebhookEndpoint:
    """No more events for it; its deliveries stay visible in the admin."""
    with transaction.atomic():
        endpoint = get_webhook_endpoint(api_key=api_key, endpoint_id=endpoint_id)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.removed_at = timezone.now()
        endpoint.save(update_fields=["removed_at"])
    return endpoint


def roll_webhook_secret(*, api_key: ApiKey, endpoint_id: uuid.UUID | str) -> tuple[WebhookEndpoint, str]:
    """A new signing secret; the old one still signs (a second signature) for 24 h."""
    secret = new_signing_secret()
    with transaction.atomic():
        endpoint = get_webhook_endpoint(api_key=api_key, endpoint_id=endpoint_id)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        until = timezone.now() + PREVIOUS_SECRET_VALIDITY
        endpoint.secrets = {
            "current": secret,
            "previous": endpoint.secrets["current"],
            "previous_valid_until": until.isoformat(),
        }
        endpoint.save(update_fields=["secrets"])
    return endpoint, secret
