"""Choosing the document type and its fields from the card's rows."""

import numpy as np

from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.layout import Row
from ocr_gpu.engine.npwp import parse_npwp
from ocr_gpu.engine.reading import CardReading
from ocr_gpu.engine.rereading import reread_numbers, reread_unchecked, reread_unsure

_SIDE_COLUMN = 700  # KTP: the photo, place and date of issue and signature sit right of this


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


def parse_fields(reading: CardReading, rows: list[Row], hint: str | None, gray: np.ndarray | None) -> None:
    reading.doc_type, parsed = _parse(rows, hint)
    if parsed is None:
        return
    if gray is not None:
        parsed = reread_numbers(rows, reading.doc_type, parsed, gray, _parse)
        if reading.doc_type == "KTP":

            def reparse() -> Parsed:
                return parse_ktp(_ktp_rows(rows))

            parsed = reread_unchecked(parsed, gray, reparse)
            parsed = reread_unsure(parsed, gray, reparse)
    reading.fields, reading.confidence, reading.checks = parsed.fields, parsed.confidence, parsed.checks
