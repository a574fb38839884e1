"""Retention: purge the images and readings of documents past `RETENTION_DAYS`.

A document is due when it was decided more than RETENTION_DAYS ago, or, left in a
non-final state (failed, or stuck on its way), when it last changed that long ago. A
document awaiting a reviewer is not purged (a person still owes a decision on it: the
run reports it), nor is any document of an applicant under legal hold. Each purge keeps
the anonymised record (kyc.services.privacy.scrub_document) and writes a `purged`
privacy event.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kyc.models import TERMINAL_STATUSES, ActorKind, Document, LegalHold, PrivacyAction, Status, User
from kyc.services.privacy import (
    document_files,
    record_privacy_event,
    remove_document_files,
    remove_files_after,
    scrub_document,
)

log = structlog.get_logger(__name__)
LATE_FILES_WINDOW = dt.timedelta(days=1)


@dataclass
class PurgeReport:
    cutoff: dt.datetime
    dry_run: bool
    purged: list[uuid.UUID] = field(default_factory=list)
    held: int = 0  # due, but their applicant is under legal hold
    awaiting_review: int = 0  # due, but a reviewer still owes a decision
    files_removed: int = 0  # deleted (or, dry run, to delete) from storage
    files_failed: int = 0


def _due(cutoff: dt.datetime) -> QuerySet[Document]:
    decided = Q(status__in=TERMINAL_STATUSES) & (
        Q(decided_at__lt=cutoff) | Q(decided_at__isnull=True, updated_at__lt=cutoff)
    )
    abandoned = ~Q(status__in=TERMINAL_STATUSES) & Q(updated_at__lt=cutoff)
    return Document.objects.filter(decided | abandoned, personal_data_removed_at__isnull=True)


def _still_due(document: Document, cutoff: dt.datetime) -> bool:
    """Re-checked under the locks: the document may have moved on since it was listed."""
    if document.personal_data_removed_at is not None or document.status == Status.NEEDS_REVIEW:
        return False
    if document.is_terminal and document.decided_at is not None:
        return document.decided_at < cutoff
    return document.updated_at < cutoff


def purge_document(*, document_id: uuid.UUID, cutoff: dt.datetime, days: int) -> bool:
    """Purge one document if it is still due; True when it was purged."""
    owner_id = Document.objects.filter(pk=document_id).values_list("owner_id", flat=True).get()
    with transaction.atomic():
        # The owner's row first, as erasure locks it: this serializes the purge with a
        # legal hold being placed and with erasure, in one lock order.
        owner = User.objects.select_for_update(no_key=True).get(pk=owner_id)
        document = Document.objects.select_for_update(of=("self",)).get(pk=document_id)
        if LegalHold.objects.filter(user=owner).exists() or not _still_due(document, cutoff):
            return False
        scrub_document(document=document, at=timezone.now())
        record_privacy_event(
            subject=owner,
            document=document,
            action=PrivacyAction.PURGED,
            actor_kind=ActorKind.SYSTEM,
            reason=f"retention: {days} days",
        )
    remove_files_after([document])
    return True


def _remove_leftover_files(report: PurgeReport, now: dt.datetime) -> None:
    """Files of removed documents still in storage: a deletion that failed after commit,
    or, within LATE_FILES_WINDOW of the removal, a reading an OCR attempt still running
    then (one the reaper had already given up on) wrote beside the deleted image."""
    leftovers = Document.objects.filter(personal_data_removed_at__isnull=False).filter(
        Q(files_removed_at__isnull=True) | Q(personal_data_removed_at__gte=now - LATE_FILES_WINDOW)
    )
    for document_id, key in leftovers.values_list("pk", "storage_key"):
        if report.dry_run:
            continue
        try:
            report.files_removed += remove_document_files(document_id=document_id, storage_key=key)
        except Exception as error:  # storage down: the next run tries again
            report.files_failed += 1
            log.error("document_files_remove_failed", document_id=str(document_id), error=str(error))


def purge_expired_data(*, dry_run: bool = False, now: dt.datetime | None = None) -> PurgeReport:
    days = settings.RETENTION_DAYS
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    due = _due(cutoff)
    held_owners = LegalHold.objects.values("user_id")
    report.held = due.filter(owner__in=held_owners).count()
    report.awaiting_review = due.filter(status=Status.NEEDS_REVIEW).exclude(owner__in=held_owners).count()
    candidates = list(
        due.exclude(owner__in=held_owners)
        .exclude(status=Status.NEEDS_REVIEW)
        .values_list("pk", "storage_key")
    )
    for document_id, key in candidates:
        files = len(document_files(storage_key=key, document_id=document_id))
        if dry_run or purge_document(document_id=document_id, cutoff=cutoff, days=days):
            report.purged.append(document_id)
            report.files_removed += files
    # The documents purged above had their files deleted after each commit; this catches
    # any deletion that failed, now or in an earlier run.
    _remove_leftover_files(report, now or timezone.now())
    log.info(
        "retention_purge_done",
        dry_run=dry_run,
        purged=len(report.purged),
        held=report.held,
        awaiting_review=report.awaiting_review,
        files_failed=report.files_failed,
    )
    return report


def run_retention_purge() -> PurgeReport:
    """The embedded worker's periodic job."""
    return purge_expired_data()
