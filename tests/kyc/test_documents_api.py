"""Document upload, listing and reading through the HTTP API."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kyc.models import Document, DocumentTransition
from tests.kyc.uploads import hostile_uploads, image_bytes

pytestmark = pytest.mark.django_db


def upload(client, content: bytes, name: str = "card.jpg", doc_type: str = "KTP", **headers):
    file = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post(
        "/api/v1/documents",
        {"doc_type": doc_type, "file": file, "consent": "true"},
        format="multipart",
        **headers,
    )


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_alice_uploads_a_ktp_and_it_moves_to_processing(
    alice_api, ktp_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(alice_api, ktp_jpeg)
    assert response.status_code == 201
    body = response.json()
    assert body["doc_type"] == "KTP"
    document = Document.objects.get(pk=body["id"])
    assert document.status == "processing"
    assert document.attempts == 1
    assert [t.to_status for t in DocumentTransition.objects.filter(document=document)] == [
        "uploaded",
        "processing",
    ]


def test_the_stored_copy_is_normalized_and_the_original_hash_kept(alice_api, settings):
    import hashlib

    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 0.0)}  # GPS
    Image.new("RGB", (640, 400), "lightblue").save(buffer, "JPEG", exif=exif)
    original = buffer.getvalue()
    response = upload(alice_api, original)
    assert response.status_code == 201
    document = Document.objects.get(pk=response.json()["id"])
    assert document.sha256 == hashlib.sha256(original).hexdigest()
    stored = Image.open(Path(settings.MEDIA_ROOT) / document.storage_key)
    assert stored.size == (400, 640)
    assert not stored.getexif()


def test_identical_bytes_reuploaded_return_the_active_document(alice_api, ktp_jpeg):
    first = upload(alice_api, ktp_jpeg)
    second = upload(alice_api, ktp_jpeg)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Document.objects.count() == 1


def test_an_idempotency_key_makes_a_retried_request_safe(alice_api, settings):
    content = image_bytes()
    first = upload(alice_api, content, HTTP_IDEMPOTENCY_KEY="req-1")
    retry = upload(alice_api, content, HTTP_IDEMPOTENCY_KEY="req-1")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    other = upload(alice_api, image_bytes(color="white"), HTTP_IDEMPOTENCY_KEY="req-1")
    assert other.status_code == 409
    assert Document.objects.count() == 1
    assert len(stored_files(settings)) == 1


@pytest.mark.parametrize("name", list(hostile_uploads()))
def test_hostile_uploads_are_refused_and_leave_nothing_behind(alice_api, settings, name):
    content, filename = hostile_uploads()[name]
    response = upload(alice_api, content, filename)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["error"]["code"]
    assert Document.objects.count() == 0
    assert DocumentTransition.objects.count() == 0
    assert stored_files(settings) == []


def test_two_megabytes_plus_one_byte_is_refused_with_413(alice_api, settings):
    content = image_bytes()
    content += b"\x00" * (settings.DOCUMENT_MAX_BYTES + 1 - len(content))
    response = upload(alice_api, content)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(alice_api, settings):
    response = upload(alice_api, b"\xff\xd8\xff" + b"\x00" * (settings.DOCUMENT_MAX_BYTES * 2))
    assert response.status_code == 413
    assert Document.objects.count() == 0


def test_huge_dimensions_are_refused(alice_api):
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")
    response = upload(alice_api, buffer.getvalue(), "card.png")
    assert response.status_code == 400
    assert Document.objects.count() == 0


def test_a_wrong_doc_type_is_refused(alice_api, ktp_jpeg):
    response = upload(alice_api, ktp_jpeg, doc_type="PASSPORT")
    assert response.status_code == 400
    assert "doc_type" in response.json()["error"]["details"]
    assert Document.objects.count() == 0


def test_uploads_without_a_token_are_refused(api, ktp_jpeg):
    assert upload(api, ktp_jpeg).status_code == 401
    assert Document.objects.count() == 0


def test_uploads_are_rate_limited_per_user(alice_api, settings):
    settings.UPLOAD_RATE_LIMIT = "2/h"
    for color in ("white", "gray"):
        assert upload(alice_api, image_bytes(color=color)).status_code == 201
    limited = upload(alice_api, image_bytes(color="black"))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert Document.objects.count() == 2


def test_alice_lists_and_reads_only_her_own_documents(alice_api, bob_api, ktp_jpeg):
    alices = upload(alice_api, ktp_jpeg).json()["id"]
    upload(bob_api, image_bytes())
    listing = alice_api.get("/api/v1/documents").json()
    assert listing["count"] == 1
    assert listing["results"][0]["id"] == alices
    detail = alice_api.get(f"/api/v1/documents/{alices}")
    assert detail.status_code == 200
    assert set(detail.json()) >= {
        "id",
        "doc_type",
        "status",
        "score",
        "reasons",
        "fields",
        "gpu_processed",
        "created_at",
        "updated_at",
    }


def test_another_users_document_answers_404_like_a_missing_one(alice_api, bob_api, ktp_jpeg):
    alices = upload(alice_api, ktp_jpeg).json()["id"]
    for path in (
        f"/api/v1/documents/{alices}",
        f"/api/v1/documents/{alices}/image",
        f"/api/v1/verification/status/{alices}",
    ):
        response = bob_api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    missing = bob_api.get("/api/v1/documents/00000000-0000-4000-8000-000000000000")
    assert missing.json() == bob_api.get(f"/api/v1/documents/{alices}").json()
    evaluate = bob_api.post("/api/v1/verification/evaluate", {"document_id": alices}, format="json")
    assert evaluate.status_code == 404


def test_the_owner_downloads_the_normalized_image_privately(alice_api, ktp_jpeg):
    document_id = upload(alice_api, ktp_jpeg).json()["id"]
    response = alice_api.get(f"/api/v1/documents/{document_id}/image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_an_image_missing_from_storage_is_a_404_in_the_json_error_shape(alice_api, ktp_jpeg):
    from django.core.files.storage import default_storage

    document_id = upload(alice_api, ktp_jpeg).json()["id"]
    default_storage.delete(Document.objects.get(pk=document_id).storage_key)
    response = alice_api.get(f"/api/v1/documents/{document_id}/image")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Document.objects.get(pk=document_id).status == "uploaded"  # nothing changed


# --- the hot reads' SQL, compiled once (kyc.selectors.CompiledRead) --------------------
def test_a_compiled_read_runs_each_callers_values_in_their_places(alice, bob):
    from django.core.exceptions import ImproperlyConfigured
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kyc.models import OcrResult
    from kyc.selectors import CompiledRead
    from tests.factories import document_row

    mine, theirs = document_row(alice), document_row(bob)
    reading = {"nik": "3171011708900001"}
    OcrResult.objects.create(document=mine, doc_type="KTP", fields=reading, reading_key="r")
    read = CompiledRead(
        lambda document, owner: Document.objects.filter(pk=document, owner_id=owner).values_list(
            "id", "ocr_result__fields"
        ),
        "document",
        "owner",
    )
    # The reading's column holds a Fernet token: the field's own converter decrypts it.
    assert read.rows(document=mine.id, owner=alice.id) == [(mine.id, {"nik": "3171011708900001"})]
    assert read.rows(document=theirs.id, owner=bob.id) == [(theirs.id, None)]
    with CaptureQueriesContext(connection) as captured:
        assert read.rows(document=theirs.id, owner=alice.id) == []  # another's: nothing
    assert len(captured) == 1

    paged = CompiledRead(
        lambda owner: Document.objects.filter(owner_id=owner).order_by("id").values_list("id"),
        "owner",
        suffix=" LIMIT %s OFFSET %s",
    )
    more = [document_row(alice) for _ in range(3)]
    ids = sorted([mine.id, *(document.id for document in more)])
    assert [row[0] for row in paged.rows(2, 1, owner=alice.id)] == ids[1:3]

    unused = CompiledRead(lambda owner, other: Document.objects.filter(owner_id=owner), "owner", "other")
    with pytest.raises(ImproperlyConfigured):
        unused.rows(owner=alice.id, other=bob.id)


@pytest.mark.django_db(transaction=True)  # outside a transaction, as a request's code runs
def test_a_compiled_read_takes_text_values_and_locks_rows_only_inside_a_transaction(alice, bob):
    from django.db import connection, transaction
    from django.db.transaction import TransactionManagementError
    from django.test.utils import CaptureQueriesContext

    from kyc.selectors import CompiledRead
    from tests.factories import document_row

    mine, theirs = document_row(alice), document_row(bob)
    by_hash = CompiledRead(
        lambda owner, sha256: Document.objects.filter(owner_id=owner, sha256=sha256).values_list("id"),
        "owner",
        "sha256",
        for_no_key_update=True,
    )
    with pytest.raises(TransactionManagementError):
        by_hash.rows(owner=alice.id, sha256=mine.sha256)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        assert by_hash.rows(owner=alice.id, sha256=mine.sha256) == [(mine.id,)]
        assert by_hash.rows(owner=alice.id, sha256=theirs.sha256) == []  # another's: nothing
    assert captured.captured_queries[-1]["sql"].endswith("FOR NO KEY UPDATE")


def test_detail_and_status_of_a_malformed_or_unknown_id_answer_404(alice_api, alice):
    from tests.factories import document_row

    document_row(alice)
    for path in ("/api/v1/documents/{}", "/api/v1/verification/status/{}"):
        response = alice_api.get(path.format("3f2c1b9e-0000-4000-8000-000000000000"))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
