"""GET /api/v1/me/data: everything held about the caller, unmasked to them, audited."""

import pytest
from django.core.files.storage import default_storage

from kyc.models import PrivacyEvent
from tests.kyc.privacy import PHONE, decided_document, declare_profile
from tests.reviews.documents import card

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _approve_everything(settings):
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 0, 0


def test_the_export_contains_what_was_uploaded_unmasked(alice, alice_api, settings):
    fields = dict(card()[0].fields)
    declare_profile(alice_api, fields)
    document, _ = decided_document(alice_api)
    response = alice_api.get("/api/v1/me/data")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["account"]["email"] == "alice@example.com"
    assert data["profile"] == {
        **data["profile"],
        "nik": fields["nik"],
        "full_name": fields["name"],
        "phone": PHONE,
    }
    (exported,) = data["documents"]
    assert exported["id"] == str(document.id) and exported["status"] == document.status
    assert exported["fields"] == fields  # the NIK in full: it is the owner's own
    assert exported["score"] == document.score and exported["reasons"] == document.reasons
    assert exported["consent"]["notice_version"] == settings.PRIVACY_NOTICE_VERSION
    assert [row["to_status"] for row in exported["timeline"]][:2] == ["uploaded", "processing"]
    assert exported["timeline"][-1]["to_status"] == document.status
    image = alice_api.get(exported["image"]["url"])
    assert image.status_code == 200
    with default_storage.open(document.storage_key, "rb") as stored:
        assert b"".join(image.streaming_content) == stored.read()
    event = PrivacyEvent.objects.get(action="exported")
    assert (event.subject_id, event.actor_kind, event.actor_id) == (alice.id, "user", str(alice.id))


def test_the_export_holds_nothing_of_another_applicant(alice_api, bob_api):
    document, fields = decided_document(alice_api)
    body = bob_api.get("/api/v1/me/data").content.decode()
    assert str(document.id) not in body and fields["nik"] not in body and fields["name"] not in body
    assert bob_api.get("/api/v1/me/data").json()["documents"] == []


def test_the_export_needs_a_login_and_only_answers_get(api, alice_api):
    response = api.get("/api/v1/me/data")
    assert response.status_code == 401 and response.json()["error"]["code"]
    assert alice_api.post("/api/v1/me/data").status_code == 405
    assert not PrivacyEvent.objects.exists()
