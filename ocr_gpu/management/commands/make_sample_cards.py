"""Generate synthetic KTP/NPWP photos and their truth.jsonl (no real person's data)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Write N synthetic card images and truth.jsonl into DIR, deterministic by seed "
        "(--yardstick evaluation: the styles reserved for evaluation, never for tuning)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--count", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--yardstick", choices=["tuning", "evaluation"], default="tuning")

    def handle(self, *args: object, **options: object) -> None:
        try:  # the generator is test and demo tooling: the GPU image does not carry it
            from cardgen.cards import write_sample_set
        except ImportError as missing:
            raise CommandError(f"the card generator (cardgen/) is not installed here: {missing}") from None
        truth = write_sample_set(options["out"], options["count"], options["seed"], options["yardstick"])
        self.stdout.write(f"wrote {options['count']} cards and {truth}")
