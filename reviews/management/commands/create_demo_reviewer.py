"""Create the demo reviewer of `make run` and print its credentials.

The password is random, kept in FILOT_DATA_DIR so that every run prints the same
one, and never leaves the machine: embedded mode serves only on 127.0.0.1.
"""

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reviews.services import ensure_reviewer

EMAIL = "reviewer@filot.local"


class Command(BaseCommand):
    help = "Create (or refresh) the demo reviewer account for embedded mode."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The demo reviewer is for embedded mode only.")
        secret_file = settings.DATA_DIR / "demo-reviewer-password"
        if secret_file.exists():
            password = secret_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(password)
            secret_file.chmod(0o600)
        ensure_reviewer(email=EMAIL, password=password)
        self.stdout.write(f"Demo reviewer: {EMAIL} / {password}  (log in at /admin/)")
