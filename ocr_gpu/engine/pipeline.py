"""One card, end to end: decode -> locate -> detect -> recognize -> parse -> verify."""

import time
from dataclasses import dataclass

import cv2
import numpy as np

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.decode import Unreadable, decode
from ocr_gpu.engine.detect import Detector, detect, load_detector
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.locate import MIN_SHARPNESS, Located, locate, settle, whole_photo
from ocr_gpu.engine.parse import parse
from ocr_gpu.engine.reading import CardReading
from ocr_gpu.engine.recognize import LineReader, recognize
from ocr_gpu.engine.verify import verify


def read_card(
    image_bytes: bytes, doc_type_hint: str | None = None, config: EngineConfig | None = None
) -> CardReading:
    config = config or EngineConfig()
    detector = load_detector(config)
    reading = CardReading(providers=list(detector.providers), gpu_processed=detector.gpu)
    start = time.perf_counter()
    try:
        _run(reading, image_bytes, doc_type_hint, config, detector)
    except Unreadable as problem:
        reading.doc_type, reading.error = "UNKNOWN", str(problem)
        reading.fields, reading.confidence = {}, {}
    reading.timings_ms["total"] = (time.perf_counter() - start) * 1000
    return reading


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings, self.mark = timings, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self.mark) * 1000
        self.mark = now


def _run(
    reading: CardReading, data: bytes, hint: str | None, config: EngineConfig, detector: Detector
) -> None:
    clock = _Clock(reading.timings_ms)
    before = LineReader.calls
    image = decode(data)
    clock.lap("decode")
    located = locate(image)
    reading.quality = located.quality
    clock.lap("locate")
    try:
        read: _Read | None = _read(located, hint, config, detector, clock)
        failure = None
    except Unreadable as problem:
        read, failure = None, problem
    if located.quad is not None and (read is None or read.poor):
        # The outline's print gave no card, or under half of one: a wrong outline (a shadow's
        # edge for the card's, a shear) can read worse than the photo itself, levelled by its
        # own text lines. The better of the two readings is kept.
        try:
            again = _read(whole_photo(located), hint, config, detector, clock)
        except Unreadable:
            again = None
        if again is not None and (read is None or again.rank > read.rank):
            read = again
    reading.tesseract_calls = LineReader.calls - before
    if (read is None or read.doc_type == "UNKNOWN") and located.quality["sharpness"] < MIN_SHARPNESS:
        reading.timings_ms.setdefault("recognize", 0.0)
        raise Unreadable(f"image too blurred to read (sharpness {located.quality['sharpness']})")
    if read is None:
        reading.timings_ms.setdefault("recognize", 0.0)
        raise failure or Unreadable("no text found")
    reading.doc_type, reading.upside_down, reading.card_image = read.doc_type, read.upside_down, read.card
    reading.quality = read.quality  # the framing read: a far card's, once found
    if read.parsed is not None:
        reading.fields, reading.confidence = read.parsed.fields, read.parsed.confidence
        reading.checks = read.parsed.checks
    reading.lines = [
        {
            "text": ln.text,
            "confidence": round(ln.confidence, 3),
            "box": [round(v) for v in (ln.x0, ln.y0, ln.x1, ln.y1)],
        }
        for ln in read.lines
    ]
    if reading.doc_type == "UNKNOWN":
        raise Unreadable("not a KTP or NPWP: none of their labels were found")


# Fields each document prints (the KTP's blood type may be `-`): a reading of under half of
# them is poor.
_PRINTED_FIELDS = {"KTP": 15, "NPWP": 5}


@dataclass
class _Read:
    """One framing of the card, read: detect, recognize, parse and verify."""

    doc_type: str
    parsed: Parsed | None
    lines: list[Line]
    upside_down: bool
    card: np.ndarray
    quality: dict[str, float]

    @property
    def found(self) -> int:
        return len(self.parsed.fields) if self.parsed is not None else 0

    @property
    def poor(self) -> bool:
        return self.doc_type == "UNKNOWN" or 2 * self.found < _PRINTED_FIELDS.get(self.doc_type, 0)

    @property
    def rank(self) -> tuple[bool, int]:
        return self.doc_type != "UNKNOWN", self.found


def _read(
    located: Located, hint: str | None, config: EngineConfig, detector: Detector, clock: _Clock
) -> _Read:
    located, text = settle(located, detector, config)
    boxes = detect(text)
    clock.lap("detect")
    if len(boxes) < 3:
        raise Unreadable("no text found")
    lines, upside_down, gray = recognize(cv2.cvtColor(located.card, cv2.COLOR_RGB2GRAY), boxes)
    card = located.card[::-1, ::-1] if upside_down else located.card
    clock.lap("recognize")
    rows = group_rows(lines)
    doc_type, parsed = parse(rows, hint)
    clock.lap("parse")
    if parsed is not None:
        parsed = verify(doc_type, parsed, rows, gray, config)
    clock.lap("verify")
    return _Read(doc_type, parsed, lines, upside_down, card, located.quality)
