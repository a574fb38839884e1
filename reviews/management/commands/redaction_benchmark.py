"""`manage.py redaction_benchmark [--count N] [--seed S]`: does the reviewers' blurred card
hide the NIK and NPWP? Each generated card is read by the OCR engine before and after
`reviews.redaction.blurred_card`; prints how often the number is readable on each, and
what the blurring costs. Synthetic cards only (the project's generator)."""

import re
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def numbers_read(data: bytes, doc_type: str, numbers: set[str]) -> set[str]:
    from ocr_gpu.engine import read_card

    fields = read_card(data, doc_type_hint=doc_type).fields
    digits = re.sub(r"\D", "", " ".join(str(value) for value in fields.values()))
    return {number for number in numbers if number in digits}


class Command(BaseCommand):
    help = "OCR the generated cards before and after blurring: the NIK/NPWP must not be readable after."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=30)
        parser.add_argument("--seed", type=int, default=777)

    def handle(self, *args: object, **options: Any) -> None:
        from cardgen.cards import render_card
        from reviews.redaction import blurred_card

        readable = leaked = 0
        costs = []
        for index in range(options["count"]):
            card, jpeg = render_card(options["seed"], index)
            numbers = {card.fields[name] for name in ("nik", "npwp") if card.fields.get(name)}
            started = time.perf_counter()
            blurred = blurred_card(jpeg)
            costs.append((time.perf_counter() - started) * 1000)
            readable += bool(numbers_read(jpeg, card.doc_type, numbers))
            found = numbers_read(blurred, card.doc_type, numbers)
            if found:
                leaked += 1
                self.stdout.write(
                    f"readable after blurring: card {index} ({card.doc_type}, {card.difficulty})"
                )
        self.stdout.write(
            f"cards {options['count']} (seed {options['seed']}): NIK/NPWP read on the original {readable}, "
            f"on the blurred card {leaked}; blurring ms median {statistics.median(costs):.0f}, "
            f"max {max(costs):.0f}"
        )
