"""Generate synthetic KTP/NPWP photos and their truth.jsonl (no real person's data)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from ocr_gpu.engine.cards import write_sample_set


class Command(BaseCommand):
    help = "Write N synthetic card images and truth.jsonl into DIR, deterministic by seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--count", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: object, **options: object) -> None:
        truth = write_sample_set(options["out"], options["count"], options["seed"])
        self.stdout.write(f"wrote {options['count']} cards and {truth}")
