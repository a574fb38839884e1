"""`manage.py reap_stuck_documents`: send again, or fail, documents that lost their way.

Run it on a schedule (ECS scheduled task in production; the embedded worker runs it
itself). Safe to run at any time and from several places at once: every change is
made under the document's row lock and checked again there.
"""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from kyc.services import reap_stuck_documents


class Command(BaseCommand):
    help = "Re-send documents stuck in processing (or never sent), fail those out of attempts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        report = reap_stuck_documents().as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True))
        else:
            self.stdout.write(TEMPLATE.format(**report))


TEMPLATE = (
    "sent {sent} owed, re-sent {resent} stuck and {lost} lost, failed {failed}, started {started},"
    " skipped {skipped} held by another transaction"
)
