"""Verify's second opinion: unsure key-field lines read again by the ONNX recognizer.

A value is accepted when both readers agree, or when exactly one reading passes the
field's own check (NIK structure, NPWP check digit, date validity, vocabulary); when both
pass and disagree, neither is taken. Free text (the name) has no check: there only
agreement counts, and it lifts a reading Tesseract was unsure of over the free-text floor.
"""

from collections.abc import Callable

import numpy as np

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.fields import FREE_TEXT_FLOOR, Parsed
from ocr_gpu.engine.layout import Line, word_text
from ocr_gpu.engine.linecrops import crop_line

UNSURE = 0.8  # Tesseract confidence below which a key field's line gets a second opinion
# Label key -> the fields its line gives and the checks that flag them as failing.
_KEY_FIELDS = {
    "nik": (("nik",), ("nik_unreadable", "nik_invalid")),
    "npwp": (("npwp",), ("npwp_unreadable", "npwp_check_digit_invalid")),
    "birth": (("birth_place", "birth_date"), ()),
    "gender": (("gender",), ()),
    "rt_rw": (("rt_rw",), ()),
    "religion": (("religion",), ()),
    "marital_status": (("marital_status",), ()),
    "nationality": (("nationality",), ()),
    "valid_until": (("valid_until",), ()),
}
_FREE_TEXT = ("name",)


def _values(parsed: Parsed, key: str) -> tuple[str, ...] | None:
    """The field values a label's line gave, when all are there and pass their checks."""
    wanted, flaws = _KEY_FIELDS[key]
    if any(check["code"] in flaws for check in parsed.checks):
        return None
    values = tuple(parsed.fields.get(name) for name in wanted)
    return values if all(values) else None


def second_opinion(
    parsed: Parsed, gray: np.ndarray, reparse: Callable[[], Parsed], config: EngineConfig
) -> Parsed:
    from ocr_gpu.engine.second import second_reader

    unsure = [
        (key, line)
        for key in (*_KEY_FIELDS, *_FREE_TEXT)
        for line in parsed.lines_of.get(key, [])
        if line.confidence < UNSURE
    ]
    if not unsure:
        return parsed
    crops = [crop_line(gray, line.x0, line.y0, line.x1, line.y1) for _, line in unsure]
    for (key, line), second in zip(unsure, second_reader(config).read(crops), strict=True):
        parsed = _weigh(parsed, key, line, second.text, second.confidence, reparse)
    return parsed


def _weigh(
    parsed: Parsed, key: str, line: Line, text: str, confidence: float, reparse: Callable[[], Parsed]
) -> Parsed:
    first = line.text, line.confidence
    if key in _FREE_TEXT:
        if text and word_text(text) == word_text(first[0]) and first[1] < FREE_TEXT_FLOOR:
            line.confidence = FREE_TEXT_FLOOR  # two readers agree: as sure as free text needs
            return reparse()
        return parsed
    before = _values(parsed, key)
    line.text, line.confidence = text, confidence
    trial = reparse()
    after = _values(trial, key)
    if after is not None and (before is None or after == before):
        return trial  # exactly the second passes, or both agree
    line.text, line.confidence = first
    if before is not None and after is not None:  # both pass and disagree: neither is taken
        wanted, _ = _KEY_FIELDS[key]
        for name in wanted:
            parsed.fields.pop(name, None)
            parsed.confidence.pop(name, None)
        parsed.flag(f"{key}_readers_disagree", "the two recognizers read this line differently")
    return parsed
