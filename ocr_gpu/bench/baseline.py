"""The benchmark's baseline: one pytesseract call on the whole photo (`--psm 3`), same parser.

It shows what the detection and geometry stages buy: no card finding, no line boxes,
Tesseract's own page segmentation on the raw photo.
"""

import os
import time

import numpy as np

from ocr_gpu.engine.assets import tessdata_dir
from ocr_gpu.engine.layout import Line, Row
from ocr_gpu.engine.reading import CardReading

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def read_card_baseline(image_bytes: bytes, doc_type_hint: str | None = None) -> CardReading:
    import cv2
    import pytesseract

    from ocr_gpu.engine.parse import parse_fields

    reading, start = CardReading(providers=[]), time.perf_counter()
    image = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        reading.error = "not a decodable image"
        return reading
    config = f"--psm 3 --tessdata-dir {tessdata_dir()}"
    text = pytesseract.image_to_string(image, lang="ind+eng", config=config)
    recognized = time.perf_counter()
    # No geometry: every line becomes a row at the left margin, so wrapped values are lost.
    rows = [Row([Line(line.strip(), 1.0, 0, 0, 0, 0)]) for line in text.splitlines() if line.strip()]
    parse_fields(reading, rows, doc_type_hint, None)
    reading.tesseract_calls = 1
    reading.timings_ms = {
        "recognize": (recognized - start) * 1000,
        "total": (time.perf_counter() - start) * 1000,
    }
    if reading.doc_type == "UNKNOWN":
        reading.error = "not a KTP or NPWP: none of their labels were found"
    return reading
