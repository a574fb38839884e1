"""`manage.py rotate_nik_keys`: re-encrypt every encrypted value under the newest key.

Resumable (values already under the newest key are skipped); prints one line per
column and the total. Run it after prepending a new key to NIK_ENCRYPTION_KEYS, and
retire the old key only once it reports nothing left to rotate.
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from kyc.services.keys import rotate_encryption_keys


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest NIK_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        report = rotate_encryption_keys(batch_size=batch_size)
        for column, count in report.rotated.items():
            self.stdout.write(f"{column}: {count} rotated, {report.current[column]} already current")
        self.stdout.write(f"rotated {report.total_rotated} values")
