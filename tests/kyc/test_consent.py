"""An upload records the applicant's consent to the privacy notice; without it, a 400."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyc.models import Document

pytestmark = pytest.mark.django_db


def post(client, jpeg: bytes, **form: str):
    file = SimpleUploadedFile("card.jpg", jpeg, content_type="image/jpeg")
    return client.post("/api/v1/documents", {"doc_type": "KTP", "file": file, **form}, format="multipart")


def stored(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.parametrize("form", [{}, {"consent": "false"}, {"consent": ""}, {"consent": "maybe"}])
def test_an_upload_without_consent_is_a_400_and_stores_nothing(alice_api, ktp_jpeg, settings, form):
    response = post(alice_api, ktp_jpeg, **form)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "consent" in error["details"]
    assert not Document.objects.exists()
    assert stored(settings) == []


def test_consent_is_stored_with_the_notice_version_and_a_timestamp(alice_api, ktp_jpeg, settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-07b"
    response = post(alice_api, ktp_jpeg, consent="true")
    assert response.status_code == 201
    document = Document.objects.get(pk=response.json()["id"])
    assert document.consent_notice_version == "2026-07b"
    assert document.consented_at is not None and document.consented_at >= document.created_at.replace(
        microsecond=0
    )


def test_consent_to_an_outdated_notice_is_refused(alice_api, ktp_jpeg, settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-07b"
    response = post(alice_api, ktp_jpeg, consent="true", privacy_notice_version="2025-01")
    assert response.status_code == 400
    assert "privacy_notice_version" in response.json()["error"]["details"]
    assert not Document.objects.exists()
    assert post(alice_api, ktp_jpeg, consent="true", privacy_notice_version="2026-07b").status_code == 201


def test_the_current_notice_version_is_public(api, settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-07b"
    response = api.get("/api/v1/privacy/notice")
    assert response.status_code == 200 and response.json() == {"version": "2026-07b"}
