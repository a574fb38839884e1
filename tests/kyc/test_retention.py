"""`manage.py purge_expired_data`: images and readings past RETENTION_DAYS go, the
anonymised record and the audit stay, legal holds are never purged."""

import datetime as dt
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from filot import broker
from kyc import services
from kyc.models import Document, DocumentTransition, OcrResult, PrivacyEvent, Status
from tests.kyc.privacy import decided_document, files_of, orm_text, processing, store_reading, upload_card
from tests.reviews.documents import card

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _approve_everything(settings):
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 0, 0
    settings.RETENTION_DAYS = 365


def age(document: Document, days: int) -> None:
    past = timezone.now() - dt.timedelta(days=days)
    Document.objects.filter(pk=document.pk).update(
        decided_at=past if document.decided_at else None, updated_at=past
    )


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_expired_data", *args, stdout=out)
    return out.getvalue()


def failed_document(client, index: int) -> Document:
    document = processing(upload_card(client, card(index=index)[1]))
    store_reading(document, {})
    return services.fail_ocr(document_id=str(document.id), reason="card too small in the image")


def test_purge_respects_age_and_legal_hold_and_leaves_no_file_behind(
    alice_api, bob_api, alice, bob, rita, settings
):
    old, fields = decided_document(alice_api, index=0)
    recent, recent_fields = decided_document(alice_api, index=1)
    abandoned = failed_document(alice_api, index=2)
    held, held_fields = decided_document(bob_api, index=3)
    for document, days in ((old, 400), (recent, 300), (abandoned, 366), (held, 900)):
        age(document, days)
    services.place_legal_hold(user=bob, reason="tax court case 88/2026", placed_by=rita)
    transitions = DocumentTransition.objects.count()

    dry = purge("--dry-run")
    assert "would purge 2 documents" in dry and "kept 1 under legal hold" in dry
    assert OcrResult.objects.get(document=old).fields == fields and files_of(settings, alice.id)

    done = purge()
    assert "purged 2 documents" in done and "kept 1 under legal hold" in done and "RETENTION_DAYS=365" in done
    for document in (old, abandoned):
        document.refresh_from_db()
        assert document.personal_data_removed_at and document.files_removed_at
        assert not default_storage.exists(document.storage_key)
    assert OcrResult.objects.get(document=old).fields == {}
    assert fields["nik"] not in orm_text()
    # The applicant still reads the anonymised record; the image is gone (404, not an error).
    assert alice_api.get(f"/api/v1/documents/{old.id}").json()["status"] == Status.AUTO_APPROVED
    gone = alice_api.get(f"/api/v1/documents/{old.id}/image")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    # Only the recent document's files are left of Alice's; the anonymised record stays.
    assert {path.parent.name for path in files_of(settings, alice.id)} == {str(recent.id)}
    assert (old.status, old.score) == (Status.AUTO_APPROVED, Document.objects.get(pk=old.pk).score)
    assert old.reasons and DocumentTransition.objects.count() == transitions
    assert OcrResult.objects.get(document=recent).fields == recent_fields
    assert OcrResult.objects.get(document=held).fields == held_fields and files_of(settings, bob.id)
    assert set(PrivacyEvent.objects.filter(action="purged").values_list("document_id", flat=True)) == {
        old.id,
        abandoned.id,
    }
    assert "purged 0 documents" in purge()  # nothing is purged twice


def test_a_document_awaiting_review_is_kept_and_reported(alice, settings):
    from tests.kyc.test_erasure import needing_review

    document = needing_review(alice, settings)
    age(document, 500)
    assert "kept 0 under legal hold, 1 awaiting review" in purge()
    assert OcrResult.objects.get(document=document).fields


def test_files_left_by_a_failed_deletion_are_removed_by_the_next_run(alice_api, alice, settings):
    document, _ = decided_document(alice_api)
    age(document, 400)
    purge()
    # A deletion that failed after the purge committed leaves the file and no files_removed_at.
    default_storage.save(document.storage_key, ContentFile(b"left behind"))
    Document.objects.filter(pk=document.pk).update(files_removed_at=None)
    out = purge()
    assert "purged 0 documents" in out
    assert files_of(settings, alice.id) == []
    assert Document.objects.get(pk=document.pk).files_removed_at is not None


def test_the_purge_runs_in_the_embedded_periodic_jobs(settings):
    job, every = broker._periodic_jobs["purge_expired_data"]
    settings.PURGE_INTERVAL_SECONDS = 120
    assert job is services.run_retention_purge and every() == 120


@pytest.mark.parametrize("round_", range(2))
def test_a_legal_hold_racing_the_purge_is_either_seen_by_it_or_placed_after_it(
    alice_api, alice, rita, round_
):
    from tests.kyc.test_erasure import run_together

    document, fields = decided_document(alice_api, index=round_)
    age(document, 400)
    cutoff = timezone.now() - dt.timedelta(days=365)
    purged, hold = run_together(
        lambda: services.purge_document(document_id=document.id, cutoff=cutoff, days=365),
        lambda: services.place_legal_hold(user=alice, reason="court order", placed_by=rita),
    )
    assert not isinstance(hold, Exception) and not isinstance(purged, Exception), (purged, hold)
    if purged:  # the purge held the account's row first; the hold came after it
        assert PrivacyEvent.objects.get(action="purged", document=document).at < hold.placed_at
        assert OcrResult.objects.get(document=document).fields == {}
    else:  # the hold was placed first and the purge saw it
        assert OcrResult.objects.get(document=document).fields == fields
        assert default_storage.exists(document.storage_key)


def test_a_late_reading_written_beside_an_erased_image_is_removed_by_the_next_run(alice_api, alice, settings):
    document, fields = decided_document(alice_api)
    services.erase_personal_data(user_id=alice.id, actor_kind="user", actor_id=str(alice.id))
    assert files_of(settings, alice.id) == []
    # An OCR attempt the reaper had given up on finishes after the erasure.
    store_reading(document, fields)
    assert files_of(settings, alice.id)
    purge()
    assert files_of(settings, alice.id) == []
