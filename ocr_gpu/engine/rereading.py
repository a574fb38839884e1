"""Reading lines again when their first reading does not hold up.

Tesseract's reading of small, soft print swings with the scale, the preprocessing and the
characters it may choose from. A line is read again when what it gave fails a check (a
malformed NIK, a date that is no date, a word outside the field's vocabulary) or when
Tesseract itself was unsure; a second reading is kept only when it passes the check, or,
for free text, when Tesseract is surer of it.
"""

import re
from collections.abc import Callable

import numpy as np

from ocr_gpu.engine.digits import as_digits
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.layout import Line, Row
from ocr_gpu.engine.linecrops import crop_line
from ocr_gpu.engine.recognize import NUMBER_CHARACTERS, line_reader

Parse = Callable[[list[Row], str | None], tuple[str, Parsed | None]]
# KTP label keys whose values can be checked, the fields each must give, and the only
# characters their values print (upper case: Tesseract's language model likes `wa` for WNI).
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ "
_NUMBER_ZOOMS = (1.0, 1.5, 3.0)
_CHECKABLE = {
    "birth": (("birth_place", "birth_date"), _UPPER + "0123456789,.-"),
    "gender": (("gender",), _UPPER + "-.:"),
    "rt_rw": (("rt_rw",), "0123456789/"),
    "religion": (("religion",), _UPPER),
    "marital_status": (("marital_status",), _UPPER),
    "nationality": (("nationality",), _UPPER),
    "valid_until": (("valid_until",), _UPPER + "0123456789-"),
}
# Second opinions on a line that does not check out: (zoom, flatten glare, restrict characters).
_SECOND_OPINIONS = ((1.5, True, True), (3.0, True, True), (1.0, True, True), (2.0, False, True))


# Free-text KTP values (nothing to check them against), read again when Tesseract's
# confidence in them is below _UNSURE, at these scales; the surest reading is kept.
_FREE_TEXT, _UNSURE, _FREE_TEXT_ZOOMS = ("name", "village", "district"), 0.7, (1.5, 3.0)


def _number_lines(rows: list[Row], doc_type: str, parsed: Parsed) -> list[Line]:
    """The lines holding the NIK / NPWP number: those the parser read them from, else the
    card's first lines with long runs of digits (top to bottom, an address's RT/RW aside)."""
    keys = ("nik",) if doc_type == "KTP" else ("npwp", "nik")
    found = [line for key in keys for line in parsed.lines_of.get(key, []) if len(as_digits(line.text)) >= 10]
    if found:
        return found
    lines = [line for row in rows for line in row.lines if len(as_digits(line.text)) >= 10]
    lines = [line for line in lines if not re.search(r"\bR[TW]\b", line.text.upper())]
    return lines[: len(keys)]


_NUMBER_FLAWS = {"nik_unreadable", "nik_invalid", "npwp_unreadable", "npwp_check_digit_invalid"}


def _flaws(parsed: Parsed) -> int:
    return len(_NUMBER_FLAWS & {check["code"] for check in parsed.checks})


def reread_numbers(rows: list[Row], doc_type: str, parsed: Parsed, gray: np.ndarray, parse: Parse) -> Parsed:
    """Read number lines again, digits only and at other scales, when they read malformed.

    A second reading is kept when it leaves fewer malformed numbers: the structure of the
    NIK and the NPWP's check digit decide between readings, never a guess.
    """
    if not _flaws(parsed):
        return parsed
    reader = line_reader(NUMBER_CHARACTERS)
    for line in _number_lines(rows, doc_type, parsed):
        best = (_flaws(parsed), line.text, line.confidence, parsed)
        for zoom in _NUMBER_ZOOMS:
            again = reader.read(crop_line(gray, line.x0, line.y0, line.x1, line.y1, zoom))
            line.text, line.confidence = again.text, again.confidence
            kind, trial = parse(rows, doc_type)
            if again.text and trial is not None and kind == doc_type and _flaws(trial) < best[0]:
                best = (_flaws(trial), again.text, again.confidence, trial)
            if best[0] == 0:
                break
        _, line.text, line.confidence, parsed = best
    return parsed


def reread_unchecked(parsed: Parsed, gray: np.ndarray, reparse: Callable[[], Parsed]) -> Parsed:
    """Read again, two other ways, the KTP values that did not check out; keep what checks.

    Only fields with a check (a date, a vocabulary, the RT/RW form) are read again: for a
    name or a village nothing could tell the better reading from the worse.
    """
    reader = line_reader()
    for key, (wanted, characters) in _CHECKABLE.items():
        if all(name in parsed.fields for name in wanted):
            continue
        for line in parsed.lines_of.get(key, []):
            first = line.text, line.confidence
            for zoom, flat, restrict in _SECOND_OPINIONS:
                crop = crop_line(gray, line.x0, line.y0, line.x1, line.y1, zoom, flat)
                again = reader.read(crop, characters if restrict else "")
                line.text, line.confidence = again.text, again.confidence
                trial = reparse()
                if all(name in trial.fields for name in wanted) and len(trial.fields) >= len(parsed.fields):
                    parsed = trial
                    break
                line.text, line.confidence = first
            if all(name in parsed.fields for name in wanted):
                break
    return parsed


def reread_unsure(parsed: Parsed, gray: np.ndarray, reparse: Callable[[], Parsed]) -> Parsed:
    """Free-text KTP values Tesseract was unsure of, read at other scales; the surest reading wins."""
    reader, changed = line_reader(), False
    for key in _FREE_TEXT:
        for line in parsed.lines_of.get(key, []):
            if line.confidence >= _UNSURE or not line.text:
                continue
            for zoom in _FREE_TEXT_ZOOMS:
                again = reader.read(crop_line(gray, line.x0, line.y0, line.x1, line.y1, zoom))
                if again.text and again.confidence > line.confidence:
                    line.text, line.confidence, changed = again.text, again.confidence, True
    return reparse() if changed else parsed
