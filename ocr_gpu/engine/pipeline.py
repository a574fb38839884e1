"""One card, end to end: decode -> locate -> detect -> recognize -> parse -> verify."""

import time

import cv2

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.decode import Unreadable, decode
from ocr_gpu.engine.detect import Detector, detect, load_detector
from ocr_gpu.engine.layout import group_rows
from ocr_gpu.engine.locate import locate, settle
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
    image = decode(data)
    clock.lap("decode")
    located = locate(image)
    reading.quality = located.quality
    clock.lap("locate")
    located, text = settle(located, detector, config)
    boxes = detect(text)
    clock.lap("detect")
    if len(boxes) < 3:
        reading.timings_ms.setdefault("recognize", 0.0)
        raise Unreadable("no text found")
    before = LineReader.calls
    lines, reading.upside_down, gray = recognize(cv2.cvtColor(located.card, cv2.COLOR_RGB2GRAY), boxes)
    clock.lap("recognize")
    rows = group_rows(lines)
    reading.doc_type, parsed = parse(rows, hint)
    clock.lap("parse")
    if parsed is not None:
        parsed = verify(reading.doc_type, parsed, rows, gray, config)
        reading.fields, reading.confidence, reading.checks = parsed.fields, parsed.confidence, parsed.checks
    clock.lap("verify")
    reading.tesseract_calls = LineReader.calls - before
    reading.lines = [
        {
            "text": ln.text,
            "confidence": round(ln.confidence, 3),
            "box": [round(v) for v in (ln.x0, ln.y0, ln.x1, ln.y1)],
        }
        for ln in lines
    ]
    if reading.doc_type == "UNKNOWN":
        raise Unreadable("not a KTP or NPWP: none of their labels were found")
