"""The NIK at rest: field-level encryption with key rotation, a blind index for
equality look-ups, and the masked form shown in APIs and the admin."""

import functools
import hashlib
import hmac
import json
import re
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup

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
