"""Choosing the document type and its fields from the card's rows."""

import re

import numpy as np

from ocr_gpu.engine.digits import as_digits
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.layout import Line, Row
from ocr_gpu.engine.linecrops import crop_line
from ocr_gpu.engine.npwp import parse_npwp
from ocr_gpu.engine.reading import CardReading
from ocr_gpu.engine.recognize import NUMBER_CHARACTERS, line_reader

_SIDE_COLUMN = 700  # KTP: the photo, place and date of issue and signature sit right of this
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
# Tesseract's reading of small, soft print swings with the scale: several scales, then
# one without the flattening.
_SECOND_OPINIONS = ((1.5, True, True), (3.0, True, True), (1.0, True, True), (2.0, False, True))


def _ktp_rows(rows: list[Row]) -> list[Row]:
    kept = []
    for row in rows:
        lines = [line for line in row.lines if line.x0 < _SIDE_COLUMN]
        if lines:
            kept.append(Row(lines))
    return kept


def choose(ktp: Parsed, npwp: Parsed, hint: str | None) -> str:
    """KTP, NPWP or UNKNOWN from the landmarks each parser found."""
    if hint == "KTP" and ktp.landmarks >= 2:
        return "KTP"
    if hint == "NPWP" and npwp.landmarks >= 1:
        return "NPWP"
    if ktp.landmarks >= 4 and ktp.landmarks > npwp.landmarks:
        return "KTP"
    if npwp.landmarks >= 2:
        return "NPWP"
    return "KTP" if ktp.landmarks >= 3 else "UNKNOWN"


def _parse(rows: list[Row], hint: str | None) -> tuple[str, Parsed | None]:
    ktp, npwp = parse_ktp(_ktp_rows(rows)), parse_npwp(rows)
    doc_type = choose(ktp, npwp, hint)
    return doc_type, {"KTP": ktp, "NPWP": npwp}.get(doc_type)


def _number_lines(rows: list[Row], doc_type: str) -> list[Line]:
    """The lines holding the NIK / NPWP number: long runs of digits near the top of the card."""
    lines = [line for row in rows for line in row.lines if len(as_digits(line.text)) >= 10]
    if doc_type == "KTP":
        return [line for line in lines if line.cy < 220][:1]
    return [line for line in lines if line.cy < 420 and not re.search(r"\bR[TW]\b", line.text.upper())][:2]


_NUMBER_FLAWS = {"nik_unreadable", "nik_invalid", "npwp_unreadable", "npwp_check_digit_invalid"}


def _flaws(parsed: Parsed) -> int:
    return len(_NUMBER_FLAWS & {check["code"] for check in parsed.checks})


def _reread_numbers(rows: list[Row], doc_type: str, parsed: Parsed, gray: np.ndarray | None) -> Parsed:
    """Read number lines again, digits only and at other scales, when they read malformed.

    A second reading is kept when it leaves fewer malformed numbers: the structure of the
    NIK and the NPWP's check digit decide between readings, never a guess.
    """
    if gray is None or not _flaws(parsed):
        return parsed
    reader = line_reader(NUMBER_CHARACTERS)
    for line in _number_lines(rows, doc_type):
        best = (_flaws(parsed), line.text, line.confidence, parsed)
        for zoom in _NUMBER_ZOOMS:
            again = reader.read(crop_line(gray, line.x0, line.y0, line.x1, line.y1, zoom))
            line.text, line.confidence = again.text, again.confidence
            kind, trial = _parse(rows, doc_type)
            if again.text and trial is not None and kind == doc_type and _flaws(trial) < best[0]:
                best = (_flaws(trial), again.text, again.confidence, trial)
            if best[0] == 0:
                break
        _, line.text, line.confidence, parsed = best
    return parsed


def _reread_unchecked(rows: list[Row], parsed: Parsed, gray: np.ndarray) -> Parsed:
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
                trial = parse_ktp(_ktp_rows(rows))
                if all(name in trial.fields for name in wanted) and len(trial.fields) >= len(parsed.fields):
                    parsed = trial
                    break
                line.text, line.confidence = first
            if all(name in parsed.fields for name in wanted):
                break
    return parsed


def parse_fields(reading: CardReading, rows: list[Row], hint: str | None, gray: np.ndarray | None) -> None:
    reading.doc_type, parsed = _parse(rows, hint)
    if parsed is None:
        return
    parsed = _reread_numbers(rows, reading.doc_type, parsed, gray)
    if reading.doc_type == "KTP" and gray is not None:
        parsed = _reread_unchecked(rows, parsed, gray)
    reading.fields, reading.confidence, reading.checks = parsed.fields, parsed.confidence, parsed.checks
