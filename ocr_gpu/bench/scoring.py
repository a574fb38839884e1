"""Scoring readings against a generated card set's `truth.jsonl`.

Every field of the truth is exact, wrong (present but not what the card prints) or missing.
A field the engine puts that the truth lacks (a blood type read off a `-`) is wrong too:
an invented value. Wrong values are counted apart from missing ones because for a KYC
record a wrong value is worse than an absent one.
"""

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ocr_gpu.engine.reading import CardReading

Reader = Callable[[bytes], CardReading]


@dataclass
class Tally:
    """Exact, wrong and missing fields of one slice (a field, a difficulty, everything)."""

    fields: int = 0
    exact: int = 0
    wrong: int = 0
    missing: int = 0

    def add(self, truth: str | None, read: str | None) -> None:
        if truth is None and read is None:
            return
        self.fields += 1
        if read is None:
            self.missing += 1
        elif read == truth:
            self.exact += 1
        else:
            self.wrong += 1

    @property
    def accuracy(self) -> float:
        return self.exact / self.fields if self.fields else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.fields if self.fields else 0.0

    @property
    def missing_rate(self) -> float:
        return self.missing / self.fields if self.fields else 0.0


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
    checks_expected: int = 0
    checks_found: int = 0
    checks_false: int = 0
    wrong_examples: list[str] = field(default_factory=list)

    def record(self, truth: dict, reading: CardReading) -> None:
        self.cards += 1
        difficulty = truth["difficulty"]
        right = reading.doc_type == truth["doc_type"]
        self.doc_type_right += right
        self.doc_by_difficulty.setdefault(difficulty, [0, 0])[0] += right
        self.doc_by_difficulty[difficulty][1] += 1
        expected_fields = truth["fields"]
        for key in sorted(set(expected_fields) | set(reading.fields)):
            expected, read = expected_fields.get(key), reading.fields.get(key)
            for tally in (
                self.overall,
                self.by_field.setdefault(key, Tally()),
                self.by_difficulty.setdefault(difficulty, Tally()),
            ):
                tally.add(expected, read)
            if key == "nik":
                self.nik.add(expected, read)
            if read is not None and read != expected and len(self.wrong_examples) < 40:
                self.wrong_examples.append(f"{truth['file']} {key}: read {read!r}, card {expected!r}")
        expected_checks = set(truth.get("expected_checks", []))
        found = {
            check["code"]
            for check in reading.checks
            if check["code"] in ("nik_birth_date_mismatch", "nik_gender_mismatch")
        }
        self.checks_expected += len(expected_checks)
        self.checks_found += len(expected_checks & found)
        self.checks_false += len(found - expected_checks)
        for stage, value in reading.timings_ms.items():
            self.timings.setdefault(stage, []).append(value)
        self.tesseract_calls += reading.tesseract_calls


def load_truth(cards: Path) -> list[dict]:
    with (cards / "truth.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def run(name: str, reader: Reader, cards: Path, truth: list[dict]) -> Result:
    result = Result(name)
    start = time.perf_counter()
    for record in truth:
        result.record(record, reader((cards / record["file"]).read_bytes()))
    result.wall_seconds = time.perf_counter() - start
    return result


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
