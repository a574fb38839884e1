"""`manage.py purge_expired_data [--dry-run]`: the retention purge (RETENTION_DAYS).

Deletes the images and readings of documents decided (or left unfinished) more than
RETENTION_DAYS ago, keeping their anonymised record; applicants under legal hold are
never purged. Run on a schedule (ECS scheduled task in production; the embedded worker
runs it itself). Safe to run at any time and from several places at once: every
document is purged under its row lock and checked again there.
"""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kyc.services import purge_expired_data


class Command(BaseCommand):
    help = "Purge images and readings past RETENTION_DAYS (anonymised records and the audit trail stay)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="say what would be purged, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        report = purge_expired_data(dry_run=options["dry_run"])
        verb = "would purge" if report.dry_run else "purged"
        if options["verbosity"] >= 2:
            for document_id in report.purged:
                self.stdout.write(f"{verb} document {document_id}")
        self.stdout.write(
            f"{verb} {len(report.purged)} documents decided or last changed before "
            f"{report.cutoff:%Y-%m-%d %H:%M} UTC (RETENTION_DAYS={settings.RETENTION_DAYS}); "
            f"files {'to delete' if report.dry_run else 'deleted'} {report.files_removed}; "
            f"kept {report.held} under legal hold, {report.awaiting_review} awaiting review"
        )
        if report.files_failed:
            raise CommandError(f"{report.files_failed} documents' files could not be deleted; run again.")
