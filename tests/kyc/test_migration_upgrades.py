"""Upgrading a database that an old race left with two active documents of one image:
`kyc.0004_document_one_active_per_image` resolves them before adding its constraint, so
`migrate` passes, and every document is still there, decided and explained."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kyc.models import Document, DocumentTransition, Status, User
from tests.conftest import client_for
from tests.kyc.test_retry_conflict import assert_conflict_points_at

BEFORE = [("kyc", "0003_ocr_results")]
ACTOR_ID = "migration kyc.0004_document_one_active_per_image"


def migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    """Migrate to `targets` (every app's latest when None), as `manage.py migrate` does."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.fixture
def at_0003():
    """The database at kyc 0003 (before the constraint); the latest schema again after."""
    executor = migrate(BEFORE)
    try:
        yield executor.loader.project_state(BEFORE).apps
    finally:
        try:
            migrate()
        except IntegrityError:  # duplicates left unresolved: the next tests still need the schema
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE kyc_document CASCADE")
            migrate()


def old_document(apps, owner, *, image: str, status: str, age_days: int) -> uuid.UUID:
    """A document row as kyc 0003 wrote it, `age_days` old."""
    document = apps.get_model("kyc", "Document").objects.create(
        owner=owner,
        doc_type="KTP",
        status=status,
        storage_key=f"documents/{owner.id}/{uuid.uuid4()}/original.jpeg",
        sha256=image * 64,
        size_bytes=1000,
        detected_type="jpeg",
        width=640,
        height=400,
        correlation_id=f"upload-{uuid.uuid4()}",
    )
    created = timezone.now() - timedelta(days=age_days)
    type(document).objects.filter(pk=document.pk).update(created_at=created, updated_at=created)
    return document.id


@pytest.mark.django_db(transaction=True)
def test_duplicate_active_documents_are_resolved_and_audited_before_the_constraint(at_0003):
    user_model = at_0003.get_model("kyc", "User")
    alice = user_model.objects.create(email="alice@example.com", password="!")
    bob = user_model.objects.create(email="bob@example.com", password="!")
    docs = {
        # a: the approved one stays although younger: a decision is never undone for a copy
        "a_uploaded": old_document(at_0003, alice, image="a", status="uploaded", age_days=9),
        "a_approved": old_document(at_0003, alice, image="a", status="approved", age_days=2),
        # b: two at the same point: the oldest stays
        "b_older": old_document(at_0003, alice, image="b", status="processing", age_days=5),
        "b_newer": old_document(at_0003, alice, image="b", status="processing", age_days=4),
        # c: three decided alike: the oldest stays, both others go
        "c_1": old_document(at_0003, alice, image="c", status="auto_approved", age_days=8),
        "c_2": old_document(at_0003, alice, image="c", status="auto_approved", age_days=7),
        "c_3": old_document(at_0003, alice, image="c", status="auto_approved", age_days=6),
        # not duplicates: one active beside a failed one; the same image of another owner
        "d_review": old_document(at_0003, alice, image="d", status="needs_review", age_days=3),
        "d_failed": old_document(at_0003, alice, image="d", status="failed", age_days=4),
        "a_bob": old_document(at_0003, bob, image="a", status="needs_review", age_days=1),
    }

    migrate()  # without the resolution: IntegrityError, could not create unique index

    statuses = dict(Document.objects.values_list("id", "status"))
    assert len(statuses) == len(docs)  # nothing lost
    failed = {  # the copy -> (the one kept, the copy's status before)
        "a_uploaded": ("a_approved", "uploaded"),
        "b_newer": ("b_older", "processing"),
        "c_2": ("c_1", "auto_approved"),
        "c_3": ("c_1", "auto_approved"),
    }
    unchanged = {
        "a_approved": Status.APPROVED,
        "b_older": Status.PROCESSING,
        "c_1": Status.AUTO_APPROVED,
        "d_review": Status.NEEDS_REVIEW,
        "d_failed": Status.FAILED,
        "a_bob": Status.NEEDS_REVIEW,
    }
    assert {name: statuses[docs[name]] for name in unchanged} == unchanged
    assert {name: statuses[docs[name]] for name in failed} == dict.fromkeys(failed, Status.FAILED)
    for name, (kept, before) in failed.items():
        document = Document.objects.get(pk=docs[name])
        assert str(docs[kept]) in document.failure_reason
        trail = [
            (row.from_status, row.to_status, row.actor_kind, row.actor_id, row.correlation_id)
            for row in DocumentTransition.objects.filter(document=document)
        ]
        assert trail == [(before, Status.FAILED, "system", ACTOR_ID, document.correlation_id)]
        assert str(docs[kept]) in DocumentTransition.objects.get(document=document).reason
    assert not DocumentTransition.objects.exclude(document_id__in=[docs[name] for name in failed]).exists()

    with pytest.raises(IntegrityError), transaction.atomic():  # the constraint holds from now on
        Document.objects.filter(pk=docs["b_newer"]).update(status=Status.PROCESSING)
    owner = client_for(User.objects.get(email="alice@example.com"))
    restart = owner.post(
        "/api/v1/verification/evaluate", {"document_id": str(docs["b_newer"])}, format="json"
    )
    assert_conflict_points_at(restart, docs["b_older"])  # a failed copy is not restarted beside it
    assert Document.objects.get(pk=docs["b_newer"]).status == Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_the_review_of_a_copy_failed_by_the_upgrade_ends_with_it(at_0003):
    from reviews.models import ManualReview, ReviewEvent

    alice = at_0003.get_model("kyc", "User").objects.create(email="alice@example.com", password="!")
    older = old_document(at_0003, alice, image="e", status="needs_review", age_days=3)
    newer = old_document(at_0003, alice, image="e", status="needs_review", age_days=2)
    kept_review = ManualReview.objects.create(document_id=older)
    copy_review = ManualReview.objects.create(document_id=newer)

    migrate()

    assert Document.objects.get(pk=newer).status == Status.FAILED
    kept_review.refresh_from_db()
    copy_review.refresh_from_db()
    assert kept_review.state == "open"  # the one kept still waits for its reviewer
    assert copy_review.state == "failed"
    assert str(older) in copy_review.reason
    event = ReviewEvent.objects.get(review=copy_review)
    assert (event.action, event.from_state, event.to_state, event.actor_kind, event.actor_id) == (
        "failed",
        "open",
        "failed",
        "system",
        ACTOR_ID,
    )
    assert not ReviewEvent.objects.filter(review=kept_review).exists()
