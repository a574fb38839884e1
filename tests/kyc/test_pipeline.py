"""The verification pipeline end to end: the API, a real Redis broker, real dramatiq
worker threads, the real OCR engine, the database. Synthetic cards only."""

import io
import json
import time
import uuid

import dramatiq
import pytest
from django.core.files.storage import default_storage
from django.dispatch import receiver
from PIL import Image

from cardgen.cards import render_card
from filot.broker import MESSAGE_SCHEMA_VERSION
from kyc import services
from kyc.crypto import open_reading_blob
from kyc.models import TERMINAL_STATUSES, Document, DocumentTransition, OcrResult, Status
from kyc.signals import document_needs_review
from kyc.tasks import ingest_ocr_result
from ocr_gpu.tasks import recognize
from tests.factories import document_row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SEED = 20261122
SETTLED = {*TERMINAL_STATUSES, Status.NEEDS_REVIEW, Status.FAILED}


def clean_card(doc_type: str, *, skip: int = 0):
    """A clean synthetic card of this type whose NIK agrees with the card."""
    for index in range(200):
        card, jpeg = render_card(SEED, index)
        if card.doc_type == doc_type and card.difficulty == "clean" and not card.expected_checks:
            if skip == 0:
                return card, jpeg
            skip -= 1
    raise AssertionError(f"no clean {doc_type} in 200 cards")


def declare(client, card, **changes):
    body = {
        "full_name": card.fields["name"],
        "date_of_birth": card.fields["birth_date"],
        "nik": card.fields["nik"],
        "phone": "+62 812 0000 0000",
    }
    response = client.put("/api/v1/profile", {**body, **changes}, format="json")
    assert response.status_code == 200, response.content


def upload(client, jpeg: bytes, doc_type: str = "KTP", **headers) -> str:
    file = io.BytesIO(jpeg)
    file.name = "card.jpg"
    response = client.post(
        "/api/v1/documents",
        {"doc_type": doc_type, "file": file, "consent": "true"},
        format="multipart",
        **headers,
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def wait_settled(document_id: str, timeout: float = 90.0) -> Document:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = Document.objects.get(pk=document_id)
        if document.status in SETTLED:
            return document
        time.sleep(0.2)
    raise AssertionError(f"{document_id} still {document.status} after {timeout} s")


def test_a_clean_ktp_matching_the_profile_is_auto_approved(worker, alice_api, log_output):
    card, jpeg = clean_card("KTP")
    declare(alice_api, card)
    document_id = upload(alice_api, jpeg, HTTP_X_REQUEST_ID="pipeline-approve-1")

    document = wait_settled(document_id)

    assert document.status == Status.AUTO_APPROVED, document.reasons
    assert document.score > 85
    assert {"name_matches", "nik_consistent"} <= {reason["code"] for reason in document.reasons}
    path = list(document.transitions.values_list("to_status", flat=True))
    assert path == ["uploaded", "processing", "ocr_completed", "ai_evaluated", "auto_approved"]
    result = OcrResult.objects.get(document=document)
    assert result.fields["nik"] == card.fields["nik"]
    # one reading file per OCR message, beside the image: a later redundant read never replaces it
    assert result.reading_key.startswith(document.storage_key.rsplit("/", 1)[0] + "/reading-")
    assert default_storage.exists(result.reading_key)
    status = alice_api.get(f"/api/v1/verification/status/{document_id}").json()
    assert status["decision"] == "auto_approved"
    fields = alice_api.get(f"/api/v1/documents/{document_id}").json()["fields"]
    assert fields["name"] == card.fields["name"]
    assert fields["nik"] != card.fields["nik"] and fields["nik"].startswith(card.fields["nik"][:4])

    # Every log line of the document's path carries its correlation id; none the NIK.
    ours = [line for line in log_output.getvalue().splitlines() if document_id in line]
    for event in ("document_uploaded", "ocr_dispatched", "ocr_done", "scoring_done", "document_decided"):
        assert any(event in line for line in ours), event
    assert all("correlation_id=pipeline-approve-1" in line for line in ours)
    assert card.fields["nik"] not in log_output.getvalue()


def test_a_card_whose_name_contradicts_the_profile_needs_review(worker, alice_api):
    opened = []

    @receiver(document_needs_review, weak=False)
    def note(sender, document, **kwargs):
        opened.append(document.id)

    try:
        card, jpeg = clean_card("KTP", skip=1)
        declare(alice_api, card, full_name="Bambang Pamungkas")
        document_id = upload(alice_api, jpeg)
        document = wait_settled(document_id)
    finally:
        document_needs_review.disconnect(note)

    assert document.status == Status.NEEDS_REVIEW
    assert "name_mismatch" in {reason["code"] for reason in document.reasons}
    assert 35 <= document.score <= 85
    assert [str(id_) for id_ in opened] == [document_id]


def test_an_image_that_is_not_a_card_is_rejected_at_once_with_a_reason(worker, alice_api):
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (90, 140, 60)).save(buffer, "JPEG")

    document = wait_settled(upload(alice_api, buffer.getvalue()))

    assert document.status == Status.AUTO_REJECTED
    assert document.score == 0
    assert document.attempts == 1  # decided, not retried
    assert [reason["code"] for reason in document.reasons] == ["card_unreadable"]
    assert "could not be read" in document.reasons[0]["message"]


def test_the_same_result_delivered_twice_gives_one_outcome_and_one_audit_trail(worker, alice_api):
    card, jpeg = clean_card("KTP")
    declare(alice_api, card)
    document_id = upload(alice_api, jpeg)
    document = wait_settled(document_id)
    trail = list(document.transitions.values_list("id", "to_status"))

    reading_key = OcrResult.objects.get(document_id=document_id).reading_key
    ingest_ocr_result.send(document_id, reading_key)  # a redelivery
    dramatiq.get_broker().join("default", timeout=30_000)
    worker.join()

    document.refresh_from_db()
    assert document.status == Status.AUTO_APPROVED
    assert list(document.transitions.values_list("id", "to_status")) == trail
    assert OcrResult.objects.filter(document_id=document_id).count() == 1


def test_an_ocr_that_keeps_failing_is_retried_then_the_document_fails(worker, alice, settings):
    # The OCR message takes its retry policy from the settings when it is sent.
    settings.OCR_GPU_MAX_RETRIES = 1
    settings.OCR_RETRY_MIN_BACKOFF_MS = settings.OCR_RETRY_MAX_BACKOFF_MS = 200
    broken = document_row(alice)  # nothing stored at its key: every read fails
    services.start_kyc_workflow(document_id=broken.id)

    failed = wait_settled(str(broken.id), timeout=60)

    assert failed.status == Status.FAILED
    assert failed.failure_reason == "The card could not be read after 2 tries."
    last = failed.transitions.last()
    assert last.actor_kind == "system"
    assert last.correlation_id == broken.correlation_id  # the failure callback kept the read's id


def test_a_message_with_an_unknown_schema_version_is_dead_lettered_not_misread(worker, alice_api, log_output):
    _card, jpeg = clean_card("KTP")
    document_id = upload(alice_api, jpeg)
    wait_settled(document_id)
    reading_key = OcrResult.objects.get(document_id=document_id).reading_key
    broker = dramatiq.get_broker()

    future = ingest_ocr_result.message_with_options(
        args=(document_id, reading_key), schema_version=MESSAGE_SCHEMA_VERSION + 1
    )
    broker.enqueue(future)
    broker.join("default", timeout=30_000)
    worker.join()

    dead_letters = f"{broker.namespace}:default.XQ.msgs"  # redis id -> encoded message
    deadline = time.monotonic() + 10
    while not any(future.message_id.encode() in body for body in broker.client.hvals(dead_letters)):
        assert time.monotonic() < deadline, "the refused message never reached the dead letters"
        time.sleep(0.1)
    assert "message_schema_version_refused" in log_output.getvalue()


def test_recognize_writes_the_reading_beside_the_image_and_never_the_database(
    alice_api, django_assert_num_queries, settings
):
    import redis

    card, jpeg = clean_card("NPWP")
    name = default_storage.save("documents/x/y/original.jpg", io.BytesIO(jpeg))
    # Pub/sub channels span every Redis database: a channel of this test's own, so no
    # other OCR run on the same server (another xdist worker's) publishes into it.
    settings.OCR_GPU_PUBLISH_CHANNEL = f"{settings.OCR_GPU_PUBLISH_CHANNEL}:test-{uuid.uuid4().hex}"
    listener = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    listener.subscribe(settings.OCR_GPU_PUBLISH_CHANNEL)
    assert listener.get_message(timeout=2)["type"] == "subscribe"

    with django_assert_num_queries(0):
        key = recognize.fn("y", name, "NPWP")

    notice = listener.get_message(timeout=5)
    listener.close()
    published = json.loads(notice["data"])
    assert set(published) == {"document_id", "correlation_id", "status", "gpu_processed", "timings_ms"}
    assert published["document_id"] == "y" and published["status"] == "read"
    assert card.fields["name"] not in notice["data"].decode()
    assert card.fields["npwp"] not in notice["data"].decode()
    assert key == "documents/x/y/reading.json"
    with default_storage.open(key) as stored:
        reading = json.loads(open_reading_blob(stored.read()))
    assert reading["doc_type"] == "NPWP"
    assert reading["fields"]["name"] == card.fields["name"]
    assert {"checks", "providers", "lines"} <= reading.keys()
    assert DocumentTransition.objects.count() == 0


def test_the_pipeline_benchmark_pushes_cards_through_real_workers_and_cleans_up(monkeypatch, capsys):
    from django.core.management import call_command

    from kyc.models import User
    from tests.stack import database_url

    monkeypatch.setenv("DATABASE_URL", database_url())  # its worker subprocess uses the test database
    call_command("pipeline_benchmark", "--documents", "2", "--seed", "5", "--timeout", "120")

    out = capsys.readouterr().out
    assert "throughput" in out and "documents/min" in out
    assert "latency p95" in out
    assert "documents            2" in out
    assert not User.objects.filter(email__endswith="@pipeline-benchmark.invalid").exists()
    assert not Document.objects.exists()
