"""Scoring the engine against a generated card set's `truth.jsonl`."""

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ocr_gpu.engine.reading import CardReading

Reader = Callable[[bytes], CardReading]


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


@dataclass
class Tally:
    """Matches and character errors of one slice (a field, a difficulty, everything)."""

    fields: int = 0
    exact: int = 0
    chars: int = 0
    char_errors: int = 0

    def add(self, truth: str, read: str | None) -> None:
        self.fields += 1
        self.exact += read == truth
        self.chars += len(truth)
        self.char_errors += edit_distance(read or "", truth)

    @property
    def accuracy(self) -> float:
        return self.exact / self.fields if self.fields else 0.0

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else 0.0


@dataclass
class Result:
    name: str
    cards: int = 0
    doc_type_right: int = 0
    nik: Tally = field(default_factory=Tally)
    overall: Tally = field(default_factory=Tally)
    by_field: dict[str, Tally] = field(default_factory=dict)
    by_difficulty: dict[str, Tally] = field(default_factory=dict)
    doc_by_difficulty: dict[str, list[int]] = field(default_factory=dict)
    timings: dict[str, list[float]] = field(default_factory=dict)
    wall_seconds: float = 0.0
    tesseract_calls: int = 0
    process_starts: int = 0
    spurious_fields: int = 0
    checks_expected: int = 0
    checks_found: int = 0
    checks_false: int = 0
    errors: list[str] = field(default_factory=list)

    def record(self, truth: dict, reading: CardReading) -> None:
        self.cards += 1
        difficulty = truth["difficulty"]
        right = reading.doc_type == truth["doc_type"]
        self.doc_type_right += right
        self.doc_by_difficulty.setdefault(difficulty, [0, 0])[0] += right
        self.doc_by_difficulty[difficulty][1] += 1
        for key, expected in truth["fields"].items():
            read = reading.fields.get(key)
            for tally in (
                self.overall,
                self.by_field.setdefault(key, Tally()),
                self.by_difficulty.setdefault(difficulty, Tally()),
            ):
                tally.add(expected, read)
            if key == "nik":
                self.nik.add(expected, read)
        self.spurious_fields += len(set(reading.fields) - set(truth["fields"]))
        expected_checks = set(truth.get("expected_checks", []))
        found = {
            check["code"]
            for check in reading.checks
            if check["code"].startswith("nik_") and "mismatch" in check["code"]
        }
        self.checks_expected += len(expected_checks)
        self.checks_found += len(expected_checks & found)
        self.checks_false += len(found - expected_checks)
        for stage, value in reading.timings_ms.items():
            self.timings.setdefault(stage, []).append(value)
        self.tesseract_calls += reading.tesseract_calls
        if reading.error and right is False:
            self.errors.append(f"{truth['file']}: {reading.error}")


def load_truth(cards: Path) -> list[dict]:
    with (cards / "truth.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def run(name: str, reader: Reader, cards: Path, truth: list[dict], process_starts_per_card: int) -> Result:
    result = Result(name)
    start = time.perf_counter()
    for record in truth:
        result.record(record, reader((cards / record["file"]).read_bytes()))
    result.wall_seconds = time.perf_counter() - start
    result.process_starts = process_starts_per_card * len(truth)
    return result


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
