"""The NIK at rest: field-level encryption with key rotation, a blind index for
equality look-ups, and the masked form shown in APIs and the admin."""

import functools
import hashlib
import hmac
import json
import re
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup

from filot import sealing

_NON_DIGITS = re.compile(r"[^0-9]")


class NikDecryptionError(ValueError):
    """A NIK token that none of the configured keys can open (wrong key set, or tampered)."""


def encrypt_nik(nik: str) -> str:
    """A Fernet token of the NIK under the first configured key; random IV, so never repeats."""
    return _multi_fernet(_encryption_keys()).encrypt(nik.encode("utf-8")).decode("ascii")


def decrypt_nik(token: str) -> str:
    try:
        plaintext = _multi_fernet(_encryption_keys()).decrypt(token)
    except InvalidToken:
        # `from None`: the token is personal data's ciphertext; keep it out of tracebacks.
        raise NikDecryptionError("The NIK cannot be decrypted with any configured key.") from None
    return plaintext.decode("utf-8")


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the first (newest) key, so older keys can be retired."""
    try:
        return _multi_fernet(_encryption_keys()).rotate(token).decode("ascii")
    except InvalidToken:
        raise NikDecryptionError("The NIK cannot be decrypted with any configured key.") from None


def is_current_token(token: str) -> bool:
    """Is the token encrypted under the first (newest) key already? (rotation skips it)"""
    try:
        Fernet(_encryption_keys()[0]).decrypt(token)
    except InvalidToken:
        return False
    return True


class ReadingDecryptionError(ValueError):
    """A stored reading that is not sealed, is damaged, or that no ring key opens."""


def open_reading_blob(blob: bytes) -> bytes:
    """The plaintext of a sealed reading (docs/DESIGN.md, "What storage holds")."""
    try:
        return sealing.open_sealed(blob, private_keys=_reading_private_keys(_encryption_keys()))
    except sealing.SealError as error:
        raise ReadingDecryptionError(str(error)) from None


def reencrypt_reading_blob(blob: bytes) -> bytes:
    """Re-encrypt one stored reading blob (a `reading-*.json` file) with the newest ring key.

    For `manage.py rotate_nik_keys`: a blob already sealed for the newest key comes back
    unchanged (byte for byte, so a re-run rewrites nothing); one sealed for an older
    ring key is opened and sealed again for the newest; a plaintext reading left by a
    version before sealing is sealed. Anything else raises ReadingDecryptionError.
    """
    newest = newest_reading_key_id()
    if sealing.is_sealed(blob):
        if sealing.sealed_key_id(blob) == newest:
            return blob
        return seal_for_ring(open_reading_blob(blob))
    try:
        legacy = json.loads(blob)
    except ValueError:
        raise ReadingDecryptionError("Neither a sealed nor a plaintext reading.") from None
    if not isinstance(legacy, dict) or "doc_type" not in legacy:
        raise ReadingDecryptionError("Neither a sealed nor a plaintext reading.")
    return seal_for_ring(blob)


def seal_for_ring(plaintext: bytes) -> bytes:
    """Seal for the newest ring key (what `READING_PUBLIC_KEY` is by default)."""
    return sealing.seal(plaintext, public_key=newest_reading_public_key())


def newest_reading_public_key() -> str:
    return sealing.public_key_text(_reading_private(_encryption_keys()[0]))


def newest_reading_key_id() -> str:
    return sealing.key_id(newest_reading_public_key())


@functools.cache
def _reading_private(key: bytes) -> X25519PrivateKey:
    return sealing.private_key_from_ring_key(key)


@functools.cache
def _reading_private_keys(keys: tuple[bytes, ...]) -> dict[str, X25519PrivateKey]:
    privates = [_reading_private(key) for key in keys]
    return {sealing.key_id(sealing.public_key_text(private)): private for private in privates}


def nik_blind_index(nik: str) -> str:
    """HMAC-SHA256 (hex) of the NIK's digits: equal NIKs give equal indexes, and without
    the key the index reveals nothing, unlike a plain hash of a 16-digit number."""
    digits = _NON_DIGITS.sub("", nik)
    if not digits:
        # An empty NIK would share one index with every other empty NIK: a false duplicate.
        raise ValueError("A NIK without digits has no blind index.")
    return hmac.new(_blind_index_key(), digits.encode("ascii"), hashlib.sha256).hexdigest()


def mask_nik(nik: str) -> str:
    """`3171011708900001` -> `3171********0001`; anything shorter than nine characters is all stars."""
    value = "".join(nik.split())
    if len(value) < 9:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def _encryption_keys() -> tuple[bytes, ...]:
    keys = settings.NIK_ENCRYPTION_KEYS
    if isinstance(keys, str | bytes) or not keys:
        raise ImproperlyConfigured("NIK_ENCRYPTION_KEYS must be a non-empty list of Fernet keys.")
    return tuple(key.encode("ascii") if isinstance(key, str) else key for key in keys)


@functools.cache
def _multi_fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "NIK_ENCRYPTION_KEYS holds a value that is not a urlsafe-base64 32-byte Fernet key."
        ) from None


def _blind_index_key() -> bytes:
    key = settings.NIK_BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("NIK_BLIND_INDEX_KEY must be set.")
    return key.encode("utf-8") if isinstance(key, str) else key


class EncryptedNikField(models.TextField):
    """A NIK held as plaintext in Python and as a Fernet token in the column.

    Tokens are randomized, so comparing them means nothing: the field offers only the
    `isnull` look-up, and equality look-ups go through the blind index beside it.
    Keys are read at use, never stored in the field, so migrations carry no secret.
    """

    description = "NIK, encrypted at rest"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_nik(value)

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_nik(value)

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        # Refused loudly (FieldError) rather than a filter that silently never matches.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


class EncryptedJSONField(models.TextField):
    """A JSON object held as a Fernet token (same keys and rotation as the NIK).

    For what the OCR read off a card: name, birth date, address and NIK are all
    personal data. No look-ups but `isnull`; equality on the NIK goes through a blind
    index stored beside it.
    """

    description = "JSON, encrypted at rest"
    # What django-stubs types the attribute as (a TextField would say str).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return value
        return encrypt_nik(json.dumps(value, sort_keys=True, ensure_ascii=False))

    def from_db_value(self, value: str | None, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None or value == "":
            return None if value is None else {}
        return json.loads(decrypt_nik(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)
