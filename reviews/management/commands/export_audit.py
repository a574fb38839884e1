"""`manage.py export_audit --since DATE [--format jsonl|csv]`: the audit trail, for an inspector.

Every document transition, review event (NIK reveals included) and privacy event
(exports, erasures, purges, legal holds) at or after DATE, oldest first, on stdout.
"""

import csv
import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews.audit_export import COLUMNS, audit_rows


def parse_since(value: str) -> dt.datetime:
    try:
        since = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since must be an ISO date or date-time, e.g. 2026-01-31: {value!r}") from error
    return timezone.make_aware(since, dt.UTC) if timezone.is_naive(since) else since


class Command(BaseCommand):
    help = "Export the audit trail (transitions, review events, reveals, exports, erasures, purges)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--since", required=True, help="ISO date (UTC) or date-time")
        parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = audit_rows(since=parse_since(options["since"]))
        if options["format"] == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "at": row["at"].isoformat()})
            return
        for row in rows:
            self.stdout.write(json.dumps({**row, "at": row["at"].isoformat()}, sort_keys=True))
