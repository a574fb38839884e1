"""kyc.crypto: the NIK encrypted at rest, rotated between keys, looked up by blind index."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from pytest_django.fixtures import Settings

from kyc.crypto import (
    EncryptedNikField,
    NikDecryptionError,
    decrypt_nik,
    encrypt_nik,
    mask_nik,
    nik_blind_index,
    rotate_token,
)

NIK = "3171011708900001"  # synthetic


@pytest.fixture
def keys(settings: Settings) -> list[str]:
    settings.NIK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.NIK_BLIND_INDEX_KEY = "blind-index-key-for-tests"
    return settings.NIK_ENCRYPTION_KEYS


def test_a_nik_survives_the_round_trip(keys: list[str]) -> None:
    assert decrypt_nik(encrypt_nik(NIK)) == NIK


def test_the_ciphertext_never_shows_the_nik_nor_repeats(keys: list[str]) -> None:
    first, second = encrypt_nik(NIK), encrypt_nik(NIK)

    assert NIK not in first
    assert first != second


def test_keys_may_be_given_as_bytes(settings: Settings) -> None:
    settings.NIK_ENCRYPTION_KEYS = [Fernet.generate_key()]

    assert decrypt_nik(encrypt_nik(NIK)) == NIK


def test_a_new_key_can_be_prepended_and_the_old_one_retired_after_rotation(settings: Settings) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NIK_ENCRYPTION_KEYS = [old_key]
    old_token = encrypt_nik(NIK)

    settings.NIK_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt_nik(old_token) == NIK
    rotated = rotate_token(old_token)
    assert Fernet(new_key.encode()).decrypt(rotated).decode() == NIK

    settings.NIK_ENCRYPTION_KEYS = [new_key]
    assert decrypt_nik(rotated) == NIK
    with pytest.raises(NikDecryptionError):
        decrypt_nik(old_token)


def test_a_token_from_another_key_set_is_refused(keys: list[str]) -> None:
    foreign = Fernet(Fernet.generate_key()).encrypt(NIK.encode()).decode()

    with pytest.raises(NikDecryptionError):
        decrypt_nik(foreign)
    with pytest.raises(NikDecryptionError):
        rotate_token(foreign)


def test_a_tampered_or_garbage_token_is_refused(keys: list[str]) -> None:
    token = encrypt_nik(NIK)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]

    for bad in (tampered, "not a token", ""):
        with pytest.raises(NikDecryptionError):
            decrypt_nik(bad)


@pytest.mark.parametrize("configured", [[], "one-key-as-a-string", ["not-a-fernet-key"]])
def test_missing_or_malformed_encryption_keys_fail_loudly(settings: Settings, configured: object) -> None:
    settings.NIK_ENCRYPTION_KEYS = configured

    with pytest.raises(ImproperlyConfigured):
        encrypt_nik(NIK)


def test_the_blind_index_is_deterministic_and_ignores_formatting(keys: list[str]) -> None:
    index = nik_blind_index(NIK)

    assert index == nik_blind_index(NIK)
    assert index == nik_blind_index("3171 0117 0890 0001")
    assert len(index) == 64
    assert NIK not in index
    assert index != nik_blind_index("3171011708900002")


def test_the_blind_index_differs_per_key(settings: Settings) -> None:
    settings.NIK_BLIND_INDEX_KEY = "first key"
    first = nik_blind_index(NIK)
    settings.NIK_BLIND_INDEX_KEY = b"second key"

    assert nik_blind_index(NIK) != first


def test_a_nik_without_digits_has_no_blind_index(keys: list[str]) -> None:
    with pytest.raises(ValueError, match="no blind index"):
        nik_blind_index("  ")


def test_a_missing_blind_index_key_fails_loudly(settings: Settings) -> None:
    settings.NIK_BLIND_INDEX_KEY = ""

    with pytest.raises(ImproperlyConfigured):
        nik_blind_index(NIK)


@pytest.mark.parametrize(
    ("nik", "masked"),
    [
        (NIK, "3171********0001"),
        ("3171 0117 0890 0001", "3171********0001"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_a_nik_is_masked_to_its_first_and_last_four_digits(nik: str, masked: str) -> None:
    assert mask_nik(nik) == masked


def test_the_field_writes_a_token_and_reads_back_the_nik(keys: list[str]) -> None:
    field = EncryptedNikField()

    stored = field.get_db_prep_save(NIK, connection)

    assert NIK not in stored
    assert decrypt_nik(stored) == NIK
    assert field.from_db_value(stored, None, connection) == NIK


@pytest.mark.parametrize("empty", [None, ""])
def test_the_field_passes_empty_values_through(keys: list[str], empty: str | None) -> None:
    field = EncryptedNikField(null=True, blank=True)

    assert field.get_db_prep_save(empty, connection) == empty
    assert field.from_db_value(empty, None, connection) == empty


def test_the_field_deconstructs_without_any_key(keys: list[str]) -> None:
    field = EncryptedNikField(blank=True, default="")

    _name, path, args, kwargs = field.deconstruct()

    assert path == "kyc.crypto.EncryptedNikField"
    assert args == []
    assert kwargs == {"blank": True, "default": ""}
    assert keys[0] not in repr(field.deconstruct())


def test_the_field_offers_no_lookup_that_would_compare_ciphertexts() -> None:
    field = EncryptedNikField()

    assert field.get_lookup("exact") is None
    assert field.get_lookup("icontains") is None
    assert field.get_lookup("isnull") is not None
