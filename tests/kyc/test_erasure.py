"""POST /api/v1/me/erasure: the caller's personal data and images erased, the account
deactivated, the audit kept without personal values; refused under legal hold, while
a review is open or a document is in the pipeline; erasure racing a decision or an upload."""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import close_old_connections
from rest_framework_simplejwt.tokens import RefreshToken

from filot.errors import Conflict
from kyc import services
from kyc.crypto import nik_blind_index
from kyc.models import Document, DocumentTransition, OcrResult, PrivacyEvent, Profile, Status, User
from reviews import services as review_services
from reviews.models import ManualReview, ReviewEvent
from tests.kyc.privacy import (
    PHONE,
    database_text,
    decided_document,
    declare_profile,
    files_of,
    orm_text,
    processing,
    store_reading,
    upload_card,
)
from tests.reviews.documents import card, document_needing_review


@pytest.fixture
def approve_everything(settings):
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 0, 0


def needing_review(owner, settings, **options):
    """A document a reviewer must decide (the usual thresholds for its decision)."""
    approve, reject = settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    try:
        return document_needing_review(owner, **options)
    finally:
        settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = approve, reject


def personal_values(fields: dict, email: str) -> list[str]:
    return [fields["nik"], fields["name"], email, PHONE, nik_blind_index(fields["nik"]), fields["address"]]


@pytest.mark.django_db
def test_erasure_leaves_no_nik_name_or_image_in_storage_or_database(
    alice, alice_api, bob_api, rita, settings, approve_everything
):
    fields = dict(card()[0].fields)
    declare_profile(alice_api, fields)
    approved, _ = decided_document(alice_api)
    # A second document decided by a reviewer whose reason names the applicant.
    reviewed = needing_review(alice, settings, index=1)
    review_services.claim_review(review_id=reviewed.manual_review.id, user=rita)
    review_services.complete_manual_review(
        review_id=reviewed.manual_review.id, decision="approve",
        reason=f"photo matches {fields['name']}", actor=review_services.Actor.reviewer(rita),
    )  # fmt: skip
    bobs, bob_fields = decided_document(bob_api, index=2)
    transitions = DocumentTransition.objects.filter(document__owner=alice).count()
    assert files_of(settings, alice.id)
    refresh_token = RefreshToken.for_user(alice)

    response = alice_api.post("/api/v1/me/erasure")
    assert response.status_code == 200, response.content
    assert response.json()["erased"] is True and response.json()["documents"] == 2

    assert files_of(settings, alice.id) == []
    dump, rows = database_text(), orm_text()
    for value in personal_values(fields, "alice@example.com"):
        assert value not in dump and value not in rows, value
    assert not Profile.objects.get(user=alice).nik
    assert all(reading.fields == {} for reading in OcrResult.objects.filter(document__owner=alice))
    # The anonymised record and the audit trail stay.
    kept = Document.objects.get(pk=approved.pk)
    assert (kept.status, kept.score, kept.reasons) == (approved.status, approved.score, approved.reasons)
    assert kept.personal_data_removed_at is not None and kept.files_removed_at is not None
    assert DocumentTransition.objects.filter(document__owner=alice).count() == transitions
    assert ManualReview.objects.get(document=reviewed).decision == "approve"
    assert PrivacyEvent.objects.filter(subject=alice, action="erased", actor_kind="user").count() == 1
    user = User.objects.get(pk=alice.pk)
    assert not user.is_active and user.erased_at is not None and not user.has_usable_password()
    # The account is deactivated: its tokens no longer work, nor does its password.
    assert alice_api.get("/api/v1/profile").status_code == 401
    refresh = bob_api.post("/api/v1/auth/token/refresh", {"refresh": str(refresh_token)}, format="json")
    assert refresh.status_code == 401
    # Bob's data is untouched.
    assert OcrResult.objects.get(document=bobs).fields == bob_fields and files_of(settings, bobs.owner_id)


@pytest.mark.django_db
def test_erasure_is_refused_under_legal_hold_and_changes_nothing(alice, alice_api, rita, approve_everything):
    document, fields = decided_document(alice_api)
    services.place_legal_hold(user=alice, reason="court order 12/2026", placed_by=rita)
    response = alice_api.post("/api/v1/me/erasure")
    assert response.status_code == 409
    assert (
        response.json()["error"]["code"] == "conflict" and "legal hold" in response.json()["error"]["message"]
    )
    assert OcrResult.objects.get(document=document).fields == fields
    assert User.objects.get(pk=alice.pk).is_active
    assert not PrivacyEvent.objects.filter(action="erased").exists()
    assert PrivacyEvent.objects.filter(action="hold_placed", actor_id=str(rita.pk)).exists()

    services.lift_legal_hold(user=alice, lifted_by=rita)
    assert alice_api.post("/api/v1/me/erasure").status_code == 200


@pytest.mark.django_db
def test_erasure_is_refused_while_a_review_is_open_or_a_document_is_being_read(alice, alice_api, settings):
    needs_review = needing_review(alice, settings)
    response = alice_api.post("/api/v1/me/erasure")
    assert response.status_code == 409 and "review" in response.json()["error"]["message"]
    assert OcrResult.objects.get(document=needs_review).fields

    in_flight = processing(upload_card(alice_api, card(index=2)[1]))
    assert in_flight.status == Status.PROCESSING
    response = alice_api.post("/api/v1/me/erasure")
    assert response.status_code == 409
    assert User.objects.get(pk=alice.pk).is_active


@pytest.mark.django_db
def test_erasure_takes_no_body_fields(alice_api):
    response = alice_api.post("/api/v1/me/erasure", {"everything": True}, format="json")
    assert response.status_code == 400 and "everything" in response.json()["error"]["details"]
    assert User.objects.get(email="alice@example.com").is_active


def run_together(*jobs):
    """Run the jobs in threads released at once; returns what each returned or raised."""
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(number, job):
        barrier.wait()
        try:
            results[number] = job()
        except Exception as error:
            results[number] = error
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_erasure_racing_a_decision_never_leaves_personal_data_behind(
    alice, alice_api, settings, approve_everything, round_
):
    made, jpeg = card(index=round_)
    document = processing(upload_card(alice_api, jpeg))
    key = store_reading(document, dict(made.fields))
    decided, erased = run_together(
        lambda: services.ingest_reading(document_id=str(document.id), reading_key=key),
        lambda: services.erase_personal_data(user_id=alice.id, actor_kind="user", actor_id=str(alice.id)),
    )
    assert not isinstance(decided, Exception)
    document.refresh_from_db()
    assert document.status == Status.AUTO_APPROVED  # the decision always lands
    if isinstance(erased, Conflict):  # the erasure came first and saw the document in flight
        assert OcrResult.objects.get(document=document).fields == made.fields
        assert User.objects.get(pk=alice.pk).is_active
    else:  # the erasure waited for the decision's row lock, then erased
        assert not isinstance(erased, Exception), erased
        assert OcrResult.objects.get(document=document).fields == {}
        assert files_of(settings, alice.id) == []
        assert made.fields["nik"] not in orm_text()


@pytest.mark.django_db(transaction=True)
def test_an_upload_racing_the_erasure_is_refused_or_refuses_it(
    alice, alice_api, settings, approve_everything
):
    decided_document(alice_api)
    _, jpeg = card(index=3)
    upload, erased = run_together(
        lambda: _upload_status(alice_api, jpeg),
        lambda: services.erase_personal_data(user_id=alice.id, actor_kind="user", actor_id=str(alice.id)),
    )
    if isinstance(erased, Conflict):  # the upload committed first: the new document is in flight
        assert upload == 201
        assert User.objects.get(pk=alice.pk).is_active
    else:
        assert not isinstance(erased, Exception), erased
        assert upload in (401, 403)  # the account is deactivated: nothing new is stored
        assert files_of(settings, alice.id) == []
        assert Document.objects.filter(owner=alice, personal_data_removed_at__isnull=True).count() == 0


def _upload_status(client, jpeg: bytes) -> int:
    import io

    file = io.BytesIO(jpeg)
    file.name = "card.jpg"
    return client.post(
        "/api/v1/documents", {"doc_type": "KTP", "file": file, "consent": "true"}, format="multipart"
    ).status_code


@pytest.mark.django_db
def test_an_erased_applicants_review_events_keep_no_reviewer_text(alice, rita, settings):
    document = needing_review(alice, settings)
    rita.user_permissions.add(Permission.objects.get(codename="reveal_nik"))
    rita = User.objects.get(pk=rita.pk)
    review = document.manual_review
    review_services.record_nik_reveal(review=review, user=rita, reason=f"compare {alice.email}")
    review_services.claim_review(review_id=review.id, user=rita)
    review_services.complete_manual_review(
        review_id=review.id, decision="reject", reason="blurry", actor=review_services.Actor.reviewer(rita)
    )
    services.erase_personal_data(
        user_id=alice.id, actor_kind="operator", actor_id=str(rita.pk), reason="ticket 7"
    )
    reasons = set(ReviewEvent.objects.filter(review=review).values_list("reason", flat=True))
    assert "alice@example.com" not in str(reasons) and "blurry" not in reasons
    assert ReviewEvent.objects.filter(review=review, action="nik_revealed").exists()
    assert ManualReview.objects.get(pk=review.pk).nik_masked == ""
