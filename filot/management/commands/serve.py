"""`manage.py serve`: the embedded stack in one process (what `make run` starts)."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from filot.broker import start_embedded_worker, stop_embedded_worker


class Command(BaseCommand):
    help = "Serve FiLot on 127.0.0.1 with the dramatiq actors running in-process."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        if settings.EMBEDDED_WORKER:
            start_embedded_worker()
        else:
            self.stdout.write("REDIS_URL is set: start workers with `manage.py rundramatiq`.")
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False)
        finally:
            stop_embedded_worker()
