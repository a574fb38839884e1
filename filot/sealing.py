"""Sealed blobs: encryption that needs only a public key to write and the key ring to read.

The OCR workers (GPU hosts) write each reading into storage but hold no key that can
read anything back (docs/DESIGN.md, "What storage holds"). So a reading is sealed to
a public key: an ephemeral X25519 key agreement, HKDF-SHA256, AES-256-GCM (ECIES).
The matching private keys are derived from the NIK key ring (`NIK_ENCRYPTION_KEYS`,
one X25519 key pair per Fernet key), so the ring that encrypts the database columns
opens the readings too, and rotating it (newest key first) covers them.

A sealed blob is one JSON object, its header authenticated with the ciphertext:
`{"sealed": "filot-reading-v1", "key_id", "epk", "nonce", "ciphertext"}` (base64url).
`key_id` names the ring key that opens it, so re-encryption knows what to do.
This module is pure (no Django): settings, the OCR actor and kyc.crypto use it.
"""

import base64
import hashlib
import json
import os
from typing import TypedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = "filot-reading-v1"
_DERIVE_INFO = b"filot reading seal key v1"


class _RawKeyFormat(TypedDict):
    encoding: serialization.Encoding
    format: serialization.PublicFormat


_RAW: _RawKeyFormat = {"encoding": serialization.Encoding.Raw, "format": serialization.PublicFormat.Raw}


class SealError(ValueError):
    """A blob that is not sealed, is damaged, or that no configured key opens."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key_from_ring_key(ring_key: str | bytes) -> X25519PrivateKey:
    """The X25519 key pair belonging to one Fernet key of the ring (deterministic)."""
    secret = ring_key.encode("ascii") if isinstance(ring_key, str) else ring_key
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVE_INFO).derive(secret)
    return X25519PrivateKey.from_private_bytes(seed)


def public_key_text(private_key: X25519PrivateKey) -> str:
    """The form a public key is configured in (`READING_PUBLIC_KEY`): base64url of 32 bytes."""
    return _b64(private_key.public_key().public_bytes(**_RAW))


def key_id(public_key: str) -> str:
    """A short, stable name of a public key (and of the ring key it comes from)."""
    return hashlib.sha256(_unb64(public_key)).hexdigest()[:16]


def _kek(shared: bytes, epk: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + recipient, info=FORMAT.encode()).derive(
        shared
    )


def _header(kid: str, epk: str, nonce: str) -> bytes:
    return json.dumps([FORMAT, kid, epk, nonce]).encode()


def seal(plaintext: bytes, *, public_key: str) -> bytes:
    """Encrypt for the holder of the ring key behind `public_key`; random every time."""
    try:
        recipient_bytes = _unb64(public_key)
        recipient = X25519PublicKey.from_public_bytes(recipient_bytes)
    except ValueError:
        raise SealError("The reading public key is not base64url of 32 bytes.") from None
    ephemeral = X25519PrivateKey.generate()
    epk = ephemeral.public_key().public_bytes(**_RAW)
    nonce = os.urandom(12)
    kid, epk_text, nonce_text = key_id(public_key), _b64(epk), _b64(nonce)
    ciphertext = AESGCM(_kek(ephemeral.exchange(recipient), epk, recipient_bytes)).encrypt(
        nonce, plaintext, _header(kid, epk_text, nonce_text)
    )
    blob = {
        "sealed": FORMAT,
        "key_id": kid,
        "epk": epk_text,
        "nonce": nonce_text,
        "ciphertext": _b64(ciphertext),
    }
    return json.dumps(blob).encode()


def sealed_key_id(blob: bytes) -> str:
    """The id of the ring key a sealed blob needs; SealError if it is not a sealed blob."""
    return _parse(blob)["key_id"]


def is_sealed(blob: bytes) -> bool:
    try:
        _parse(blob)
    except SealError:
        return False
    return True


def open_sealed(blob: bytes, *, private_keys: dict[str, X25519PrivateKey]) -> bytes:
    """Decrypt with the ring key the blob names (`private_keys`: key id -> private key)."""
    parsed = _parse(blob)
    private = private_keys.get(parsed["key_id"])
    if private is None:
        raise SealError(f"No configured key opens this blob (key id {parsed['key_id']}).")
    try:
        epk = _unb64(parsed["epk"])
        recipient = private.public_key().public_bytes(**_RAW)
        shared = private.exchange(X25519PublicKey.from_public_bytes(epk))
        return AESGCM(_kek(shared, epk, recipient)).decrypt(
            _unb64(parsed["nonce"]),
            _unb64(parsed["ciphertext"]),
            _header(parsed["key_id"], parsed["epk"], parsed["nonce"]),
        )
    except (InvalidTag, ValueError):
        # `from None`: the blob is personal data's ciphertext; keep it out of tracebacks.
        raise SealError("The sealed blob is damaged or was not sealed for this key.") from None


def _parse(blob: bytes) -> dict[str, str]:
    try:
        parsed = json.loads(blob)
    except (ValueError, TypeError):
        raise SealError("Not a sealed blob.") from None
    names = ("key_id", "epk", "nonce", "ciphertext")
    if (
        not isinstance(parsed, dict)
        or parsed.get("sealed") != FORMAT
        or not all(isinstance(parsed.get(name), str) for name in names)
    ):
        raise SealError("Not a sealed blob.")
    return parsed


def valid_public_key(public_key: str) -> bool:
    try:
        X25519PublicKey.from_public_bytes(_unb64(public_key))
    except ValueError:
        return False
    return True
