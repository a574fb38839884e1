"""The OCR readings in storage: sealed with the NIK key ring, written once, re-encryptable.

A reading file (`reading-<message id>.json` beside the image) holds everything the OCR
read off the card, NIK and raw lines included. It is sealed by the OCR worker, which
holds only a public key, and opened by the CPU worker with the ring.
"""

import io
import json

import dramatiq
import pytest
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from filot import sealing
from kyc.crypto import (
    ReadingDecryptionError,
    newest_reading_public_key,
    open_reading_blob,
    reencrypt_reading_blob,
)
from kyc.models import Document, OcrResult, Status
from ocr_gpu.tasks import recognize
from tests.kyc.test_pipeline import clean_card, declare, upload, wait_settled

READING = {"doc_type": "KTP", "fields": {"nik": "3171011708900001", "name": "BUDI SANTOSO"}, "lines": []}


def stored_bytes(key: str) -> bytes:
    with default_storage.open(key, "rb") as stored:
        return stored.read()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_reading_file_holds_no_personal_data_in_the_clear(alice_api, settings):
    card, jpeg = clean_card("KTP")
    name = default_storage.save("documents/a/b/original.jpg", io.BytesIO(jpeg))

    key = recognize.fn("b", name, "KTP")

    raw = stored_bytes(key)
    for value in (card.fields["nik"], card.fields["name"], card.fields["birth_place"]):
        assert value.encode() not in raw
    assert sealing.sealed_key_id(raw) == sealing.key_id(settings.READING_PUBLIC_KEY)
    assert json.loads(open_reading_blob(raw))["fields"]["nik"] == card.fields["nik"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_second_write_of_the_same_message_leaves_the_decisions_reading_byte_for_byte(worker, alice_api):
    card, jpeg = clean_card("KTP")
    declare(alice_api, card)
    document = wait_settled(upload(alice_api, jpeg))
    assert document.status == Status.AUTO_APPROVED
    reading_key = OcrResult.objects.get(document=document).reading_key
    before = stored_bytes(reading_key)
    message_id = reading_key.rsplit("reading-", 1)[1].removesuffix(".json")

    # The same OCR message again (a time-limit retry, a stalled worker's redelivery).
    again = recognize.message(str(document.id), document.storage_key, "KTP").copy(message_id=message_id)
    broker = dramatiq.get_broker()
    broker.enqueue(again)
    broker.join("ocr-gpu", timeout=60_000)
    worker.join()

    assert stored_bytes(reading_key) == before
    folder = reading_key.rsplit("/", 1)[0]
    card = reading_key.rsplit("/", 1)[1].replace("reading", "card", 1).removesuffix(".json") + ".jpeg"
    assert sorted(default_storage.listdir(folder)[1]) == sorted(
        [reading_key.rsplit("/", 1)[1], document.storage_key.rsplit("/", 1)[1], card]
    )  # no second reading (nor flattened card) for the same message
    assert Document.objects.get(pk=document.pk).status == Status.AUTO_APPROVED


def test_rotation_reseals_an_older_keys_reading_for_the_newest_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NIK_ENCRYPTION_KEYS = [old_key]
    old_blob = sealing.seal(json.dumps(READING).encode(), public_key=newest_reading_public_key())

    settings.NIK_ENCRYPTION_KEYS = [new_key, old_key]
    rotated = reencrypt_reading_blob(old_blob)
    assert sealing.sealed_key_id(rotated) != sealing.sealed_key_id(old_blob)
    assert reencrypt_reading_blob(rotated) == rotated  # already on the newest key: unchanged

    settings.NIK_ENCRYPTION_KEYS = [new_key]  # the old key retired
    assert json.loads(open_reading_blob(rotated)) == READING
    with pytest.raises(ReadingDecryptionError):
        open_reading_blob(old_blob)


def test_rotation_seals_a_plaintext_reading_left_by_an_older_version():
    plain = json.dumps(READING).encode()

    sealed = reencrypt_reading_blob(plain)

    assert b"3171011708900001" not in sealed and b"BUDI" not in sealed
    assert json.loads(open_reading_blob(sealed)) == READING
    with pytest.raises(ReadingDecryptionError):
        reencrypt_reading_blob(b"not a reading")


def test_a_tampered_reading_is_refused_not_misread():
    blob = json.loads(sealing.seal(json.dumps(READING).encode(), public_key=newest_reading_public_key()))
    blob["ciphertext"] = blob["ciphertext"][:-4] + (
        "AAAA" if not blob["ciphertext"].endswith("AAAA") else "BBBB"
    )

    with pytest.raises(ReadingDecryptionError):
        open_reading_blob(json.dumps(blob).encode())


@pytest.mark.django_db(transaction=True)
def test_ingesting_a_reading_sealed_for_a_key_outside_the_ring_changes_nothing(alice):
    from kyc import services
    from tests.factories import document_row

    document = document_row(alice, status=Status.PROCESSING)
    stranger = sealing.public_key_text(sealing.private_key_from_ring_key(Fernet.generate_key()))
    key = default_storage.save(
        "documents/x/reading-1.json", ContentFile(sealing.seal(b"{}", public_key=stranger))
    )

    with pytest.raises(ReadingDecryptionError):
        services.ingest_reading(document_id=str(document.id), reading_key=key)

    assert Document.objects.get(pk=document.pk).status == Status.PROCESSING
    assert not OcrResult.objects.filter(document=document).exists()


def test_the_public_key_command_prints_what_the_ocr_workers_seal_to(settings, capsys):
    from django.core.management import call_command

    call_command("reading_public_key")

    printed = capsys.readouterr().out.strip()
    assert printed == settings.READING_PUBLIC_KEY
    assert sealing.key_id(printed) == sealing.sealed_key_id(sealing.seal(b"{}", public_key=printed))
