"""Delivering the outbox: Standard Webhooks signatures, the SSRF guard, attempts with
backoff, the sweep that re-sends what a lost message or a dead worker left behind, and
redelivery.

An attempt claims its row under a lock (attempts + 1, `next_attempt_at` pushed one lease
ahead), sends outside any transaction, then records the answer. A 2xx is delivered;
anything else (another status, a redirect, a timeout, a refused target) waits for the
next step of `WEBHOOK_RETRY_SCHEDULE_SECONDS`; after the last one the delivery is
`failed`. The `webhook-id` is the row's `message_id`, the same on every attempt and on
redelivery; `webhook-timestamp` is the attempt's time.
"""

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kyc.integrations.events import send_deliveries
from kyc.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = structlog.get_logger(__name__)
RESPONSE_READ_LIMIT = 1024  # bytes of the receiver's answer read, at most
USER_AGENT = "FiLot-Webhooks/1"


class UnsafeTarget(ValueError):
    """A webhook URL the SSRF guard refuses."""


# --- signing -----------------------------------------------------------------------
def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signing_secrets(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    """The current secret, and the previous one while its 24 h after a roll last."""
    found = [endpoint.secrets["current"]]
    previous, until = endpoint.secrets.get("previous"), endpoint.secrets.get("previous_valid_until")
    if previous and until and dt.datetime.fromisoformat(until) > now:
        found.append(previous)
    return found


def signed_headers(*, endpoint: WebhookEndpoint, message_id: str, body: bytes) -> dict[str, str]:
    now = timezone.now()
    timestamp = int(now.timestamp())
    signatures = [
        sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
        for secret in signing_secrets(endpoint, now)
    ]
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


# --- the SSRF guard ----------------------------------------------------------------
def check_url(url: str) -> None:
    """Refuse a URL by its form: https only in production, no credentials in it."""
    parts = urlsplit(url)
    allowed = ("https",) if settings.PRODUCTION else ("https", "http")
    if parts.scheme not in allowed:
        raise UnsafeTarget("Webhook URLs must use https." if settings.PRODUCTION else "Use an http(s) URL.")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeTarget("A webhook URL needs a host name and no credentials.")


def resolve_target(url: str) -> list[str]:
    """Every address the URL's host resolves to, each one allowed (no private, loopback,
    link-local or other non-public address unless WEBHOOK_ALLOW_PRIVATE_TARGETS)."""
    check_url(url)
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeTarget(f"The host {parts.hostname!r} does not resolve.") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if ip.version == 6 and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            if not ip.is_global or ip.is_multicast:
                raise UnsafeTarget("Webhook URLs must point at a public address.")
    return addresses


def validate_webhook_url(url: str) -> None:
    """For a new endpoint: the guard's verdict as a validation error (400)."""
    try:
        resolve_target(url)
    except UnsafeTarget as error:
        raise ValidationError({"url": [str(error)]}) from error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address the guard checked, not to a fresh DNS answer."""

    def __init__(self, host: str, port: int | None, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, *, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST once to a guarded target; the status code. Redirects are not followed."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    error: Exception = UnsafeTarget("no address")
    for address in resolve_target(url):
        connection = kind(
            parts.hostname or "", parts.port, address=address, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        )
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(RESPONSE_READ_LIMIT)
            return response.status
        except ConnectionRefusedError as refused:  # try the host's next address
            error = refused
        finally:
            connection.close()
    raise error


# --- attempts ------------------------------------------------------------------------
def retry_schedule() -> list[int]:
    """Seconds to wait before each attempt: the first is immediate (see .env.example)."""
    return settings.WEBHOOK_RETRY_SCHEDULE_SECONDS


@dataclass(frozen=True)
class Attempt:
    code: int | None
    error: str


def _claim(delivery_id: uuid.UUID | str) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .get(pk=delivery_id)
        )
        now = timezone.now()
        if delivery.status != DeliveryStatus.PENDING or delivery.next_attempt_at > now:
            return None  # delivered, failed, or a duplicate message ahead of its time
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    return delivery


def _send(delivery: WebhookDelivery) -> Attempt:
    if delivery.endpoint.removed_at is not None:
        return Attempt(None, "the endpoint was removed")
    body = body_of(delivery.payload)
    headers = signed_headers(endpoint=delivery.endpoint, message_id=delivery.message_id, body=body)
    try:
        code = post(delivery.endpoint.url, body=body, headers=headers)
    except UnsafeTarget as error:
        return Attempt(None, str(error))
    except (OSError, http.client.HTTPException) as error:
        return Attempt(None, f"{type(error).__name__}: {error}"[:300])
    return Attempt(code, "" if 200 <= code < 300 else f"answered {code}")


def attempt_delivery(*, delivery_id: uuid.UUID | str) -> WebhookDelivery | None:
    """One attempt at one delivery; None when there was nothing to do (idempotent)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    started = time.monotonic()
    attempt = _send(delivery)
    schedule = retry_schedule()
    with transaction.atomic():
        row = WebhookDelivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
        row.last_response_code, row.last_error = attempt.code, attempt.error
        if not attempt.error:
            row.status, row.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
        elif row.attempts >= len(schedule) or delivery.endpoint.removed_at is not None:
            row.status = DeliveryStatus.FAILED
        else:
            wait = schedule[row.attempts]
            row.next_attempt_at = timezone.now() + dt.timedelta(seconds=wait)
            transaction.on_commit(lambda: send_deliveries(delivery_ids=[row.id], delay_ms=wait * 1000))
        row.save(
            update_fields=["status", "delivered_at", "last_response_code", "last_error", "next_attempt_at"]
        )
    log.info(
        "webhook_attempted",
        delivery_id=str(row.id),
        message_id=row.message_id,
        event_type=row.event_type,
        attempt=row.attempts,
        code=attempt.code,
        status=row.status,
        ms=round((time.monotonic() - started) * 1000),
    )
    return row


def sweep_webhook_outbox() -> int:
    """Re-send every pending delivery overdue by more than WEBHOOK_SWEEP_GRACE_SECONDS
    (its message lost, or its worker killed mid-attempt); the number re-sent."""
    now = timezone.now()
    overdue = now - dt.timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS)
    ids = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=overdue)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:500]
    )
    if ids:
        # Due now: not overdue again for a grace period, so a busy queue is not flooded
        # with a duplicate every sweep while the first re-sent message waits its turn.
        WebhookDelivery.objects.filter(
            id__in=ids, status=DeliveryStatus.PENDING, next_attempt_at__lte=overdue
        ).update(next_attempt_at=now)
        send_deliveries(delivery_ids=ids)
        log.info("webhook_outbox_swept", resent=len(ids))
    return len(ids)


def redeliver_webhook(*, delivery_id: uuid.UUID | str) -> WebhookDelivery:
    """Send a delivery again (an operator's action): pending, a fresh schedule, the same
    `webhook-id`."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update(of=("self",)).get(pk=delivery_id)
        delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(lambda: send_deliveries(delivery_ids=[delivery.id]))
    log.info("webhook_redelivery_requested", delivery_id=str(delivery.id), message_id=delivery.message_id)
    return delivery
