"""Score the OCR engine on generated card sets (one per yardstick), beside other readers."""

import dataclasses
from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocr_gpu.bench.baseline import read_card_baseline
from ocr_gpu.bench.peer import peer_reader
from ocr_gpu.bench.report import format_report, format_wrong_values
from ocr_gpu.bench.scoring import load_truth, run
from ocr_gpu.config import engine_config
from ocr_gpu.engine import read_card, warm_up


class Command(BaseCommand):
    help = (
        "Accuracy (exact / wrong / missing per field and difficulty) and latency of the OCR engine "
        "on each DIR/truth.jsonl (make_sample_cards; one set per yardstick), beside other readers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cards", required=True, type=Path, nargs="+", metavar="DIR")
        parser.add_argument("--limit", type=int, default=None, help="the first N cards of each set")
        parser.add_argument(
            "--detection-model",
            action="append",
            default=[],
            metavar="NAME=PATH",
            help="also run the engine with this detection model (repeatable)",
        )
        parser.add_argument(
            "--second-opinion", action="store_true", help="also run with the ONNX second reader"
        )
        parser.add_argument(
            "--baseline", action="store_true", help="also run whole-image pytesseract (psm 3)"
        )
        parser.add_argument(
            "--peer", action="store_true", help="also run RapidOCR's own pipeline if installed"
        )
        parser.add_argument("--show-wrong", action="store_true", help="list the first wrong values")

    def handle(self, *args: object, **options: object) -> None:
        config = engine_config()
        readers = {"engine": partial(read_card, config=config)}
        for spec in options["detection_model"]:
            name, _, path = spec.partition("=")
            if not path:
                raise CommandError(f"--detection-model wants NAME=PATH, got {spec!r}")
            readers[f"engine {name}"] = partial(
                read_card, config=dataclasses.replace(config, model_path=path)
            )
        if options["second_opinion"]:
            readers["engine +2nd"] = partial(
                read_card, config=dataclasses.replace(config, second_opinion=True)
            )
        if options["baseline"]:
            readers["baseline psm3"] = read_card_baseline
        peer = peer_reader() if options["peer"] else None
        if options["peer"] and peer is None:
            self.stderr.write("the peer (rapidocr) is not installed: skipped")
        if peer:
            readers["rapidocr"] = peer
        warm_up(config)
        for cards in options["cards"]:
            if not (cards / "truth.jsonl").is_file():
                raise CommandError(f"{cards}/truth.jsonl not found (make it with make_sample_cards)")
            truth = load_truth(cards)[: options["limit"]]
            yardstick = truth[0].get("yardstick", cards.name) if truth else cards.name
            first = (cards / truth[0]["file"]).read_bytes() if truth else b""
            results = []
            for name, reader in readers.items():
                reader(first)  # warm this reader's models
                results.append(run(name, reader, cards, truth))
            self.stdout.write(format_report(f"{yardstick}: {cards}", results, "rapidocr" if peer else None))
            if options["show_wrong"]:
                self.stdout.write(format_wrong_values(results))
            self.stdout.write("")
