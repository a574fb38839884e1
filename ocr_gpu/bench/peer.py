"""The benchmark's peer: RapidOCR's own full pipeline (detection, classification, recognition).

Not a project dependency: it runs only when `rapidocr` is installed with its declared
dependencies. Its lines go through our parser, so the comparison is of reading, and its
time is the whole pipeline's, as a user of RapidOCR would pay it.
"""

import time
from collections.abc import Callable

from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.reading import CardReading


def peer_reader() -> Callable[[bytes], CardReading] | None:
    try:
        from rapidocr import RapidOCR
    except ImportError:
        return None
    engine = RapidOCR(params={"Global.log_level": "critical"})

    def read(image_bytes: bytes) -> CardReading:
        from ocr_gpu.engine.parse import parse_fields

        reading, start = CardReading(providers=["rapidocr"]), time.perf_counter()
        output = engine(image_bytes)
        lines = []
        for box, text, score in zip(
            output.boxes if output.boxes is not None else [],
            output.txts or [],
            output.scores or [],
            strict=False,
        ):
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            lines.append(Line(text, float(score), min(xs), min(ys), max(xs), max(ys)))
        if lines:
            parse_fields(reading, group_rows(lines), None, None)
        reading.timings_ms = {"total": (time.perf_counter() - start) * 1000}
        return reading

    return read
