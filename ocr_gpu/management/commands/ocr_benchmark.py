"""Score the OCR engine, and a whole-image Tesseract baseline, on a generated card set."""

from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocr_gpu.bench.baseline import read_card_baseline
from ocr_gpu.bench.report import format_report
from ocr_gpu.bench.scoring import load_truth, run
from ocr_gpu.engine import read_card, warm_up
from ocr_gpu.management.commands._engine import engine_config


class Command(BaseCommand):
    help = "Accuracy and latency of the OCR engine on DIR/truth.jsonl (make_sample_cards), beside a baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cards", required=True, type=Path)
        parser.add_argument(
            "--baseline-limit", type=int, default=None, help="baseline on the first N cards only"
        )
        parser.add_argument("--no-baseline", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        cards = options["cards"]
        if not (cards / "truth.jsonl").is_file():
            raise CommandError(f"{cards}/truth.jsonl not found (make it with make_sample_cards)")
        truth = load_truth(cards)
        config = engine_config()
        warm_up(config)  # load the model and Tesseract before the clock starts
        results = [run("engine", partial(read_card, config=config), cards, truth, process_starts_per_card=0)]
        if not options["no_baseline"]:
            subset = truth[: options["baseline_limit"]] if options["baseline_limit"] else truth
            results.append(
                run("baseline (psm 3)", read_card_baseline, cards, subset, process_starts_per_card=1)
            )
        self.stdout.write(format_report(results))
