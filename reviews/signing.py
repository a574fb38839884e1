"""Signatures between FiLot and BULI2: the callback's HMAC and short-lived image URLs.

Callback scheme (documented in the OpenAPI schema of `POST /api/v1/reviews/callback`):

    X-Buli2-Timestamp: <unix seconds>
    X-Buli2-Signature: sha256=<hex HMAC-SHA256(BULI2_SIGNATURE_SECRET, "<timestamp>.<raw body>")>

A timestamp further than BULI2_CALLBACK_MAX_AGE_SECONDS (5 minutes) from now is
refused, which bounds how long a captured request can be replayed; replays inside
that window are harmless because each event id is recorded once.
"""

import datetime as dt
import hashlib
import hmac
import re
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.utils import timezone

TIMESTAMP_HEADER = "X-Buli2-Timestamp"
SIGNATURE_HEADER = "X-Buli2-Signature"
SIGNATURE_PREFIX = "sha256="
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_IMAGE_SALT = "reviews.buli2-image"


class SignatureError(Exception):
    """A callback whose signature is missing, wrong or stale (HTTP 401)."""


def sign_callback(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """The value of the signature header for this timestamp and raw body."""
    message = f"{timestamp}.".encode("ascii") + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_callback(*, timestamp: str | None, signature: str | None, body: bytes) -> None:
    """Raise SignatureError unless the headers sign this body, recently, with our secret."""
    secret = settings.BULI2_SIGNATURE_SECRET
    if not secret:
        raise SignatureError("BULI2 callbacks are not configured.")
    if not timestamp or not signature:
        raise SignatureError(f"The {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required.")
    if not _TIMESTAMP.match(timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER} must be a Unix time in seconds.")
    expected = sign_callback(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8", "replace")):
        raise SignatureError("The signature does not match.")
    # Checked after the signature, so an unsigned request learns nothing about timing.
    if abs(time.time() - int(timestamp)) > settings.BULI2_CALLBACK_MAX_AGE_SECONDS:
        raise SignatureError("The signature has expired.")


def signed_image_url(*, document_id: str, storage_key: str) -> tuple[str, dt.datetime]:
    """A URL of the card image that works for SIGNED_URL_SECONDS, and when it stops.

    On R2 a presigned URL of the object; on local storage a Django-signed token served
    by `reviews.api.ReviewImageApi`, on the public origin of BULI2_CALLBACK_URL.
    """
    expires_at = timezone.now() + dt.timedelta(seconds=settings.SIGNED_URL_SECONDS)
    if settings.R2_CONFIGURED:
        return default_storage.url(storage_key), expires_at
    token = signing.TimestampSigner(salt=_IMAGE_SALT).sign(document_id)
    parts = urlsplit(settings.BULI2_CALLBACK_URL)
    return f"{parts.scheme}://{parts.netloc}/api/v1/reviews/images/{token}", expires_at


def document_id_from_image_token(token: str) -> str:
    """The document id a token was made for; raises signing.BadSignature when wrong or expired."""
    return signing.TimestampSigner(salt=_IMAGE_SALT).unsign(token, max_age=settings.SIGNED_URL_SECONDS)
