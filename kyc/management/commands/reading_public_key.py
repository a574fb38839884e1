"""`manage.py reading_public_key`: the public key GPU hosts seal readings to.

Run it where the NIK key ring is (a CPU worker's environment) and give the printed
value to the OCR workers as READING_PUBLIC_KEY: it lets them write readings that only
the ring can open (docs/DESIGN.md, "What storage holds").
"""

from typing import Any

from django.core.management.base import BaseCommand

from kyc.crypto import newest_reading_public_key


class Command(BaseCommand):
    help = "Print the newest NIK ring key's reading public key (READING_PUBLIC_KEY for OCR workers)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(newest_reading_public_key())
