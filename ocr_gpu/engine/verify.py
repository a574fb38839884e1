"""Stage 6, verify: readings that fail their field's check are read again from the card.

The NIK's structure and the NPWP's check digit, dates, vocabularies and the RT/RW form
decide between readings (rereading); free text Tesseract was unsure of is read at other
scales and the surest reading kept. Nothing is corrected by guessing.
"""

import numpy as np

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.layout import Row
from ocr_gpu.engine.parse import parse, reparse_ktp
from ocr_gpu.engine.rereading import reread_numbers, reread_unchecked, reread_unsure
from ocr_gpu.engine.secondopinion import second_opinion


def verify(
    doc_type: str, parsed: Parsed, rows: list[Row], gray: np.ndarray, config: EngineConfig | None = None
) -> Parsed:
    def reparse() -> Parsed:
        return reparse_ktp(rows) if doc_type == "KTP" else parse(rows, doc_type)[1]

    if config is not None and config.second_opinion:
        parsed = second_opinion(parsed, gray, reparse, config)
    parsed = reread_numbers(rows, doc_type, parsed, gray, parse)
    if doc_type == "KTP":
        parsed = reread_unchecked(parsed, gray, reparse)
        parsed = reread_unsure(parsed, gray, reparse)
    return parsed
