"""Choosing the document type and its fields from the card's rows."""

import numpy as np

from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.frame import CARD_W, SIDE_PANEL_SHARE
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.layout import Line, Row
from ocr_gpu.engine.npwp import parse_npwp
from ocr_gpu.engine.reading import CardReading

_PANEL_GAP = 4.0  # line heights of empty card between a row's value and the side panel
_PANEL_WORD_GAP = 1.5  # the same where the panel's own rows show it starts


def _ktp_rows(rows: list[Row]) -> list[Row]:
    """The KTP's rows without its side panel (photo, place and date of issue, signature).

    Measured on each row: what follows a gap of several line heights and starts in the
    card's right part belongs to the panel; a row with nothing else is the panel's alone.
    Where the panel shows as a column of its own, it shows where it starts on this card:
    there a gap of a word or two already ends the value (a long occupation beside the issue
    date).
    """
    panel = _panel_start([line for row in rows for line in row.lines if line.x0 > SIDE_PANEL_SHARE * CARD_W])
    kept = []
    for row in rows:
        lines = row.lines[:1]
        for before, line in zip(row.lines, row.lines[1:], strict=False):
            gap, height = line.x0 - before.x1, max(line.height, before.height)
            if line.x0 > SIDE_PANEL_SHARE * CARD_W and (
                gap > _PANEL_GAP * height or (line.x0 >= panel and gap > _PANEL_WORD_GAP * height)
            ):
                break
            lines.append(line)
        if lines[0].x0 > SIDE_PANEL_SHARE * CARD_W:
            continue
        kept.append(Row(lines))
    return kept


def _panel_start(right: list[Line]) -> float:
    """Where the side panel starts: its place and date of issue are centred under the photo,
    so two or more boxes in the card's right part centred on one column are the panel; the
    frame's width when there is no such column."""
    best: list[Line] = []
    for line in right:
        centre = (line.x0 + line.x1) / 2
        column = [other for other in right if abs((other.x0 + other.x1) / 2 - centre) <= 1.5 * line.height]
        if len(column) > len(best):
            best = column
    if len(best) < 2:
        return float(CARD_W)
    return min(line.x0 - line.height for line in best)


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


def parse(rows: list[Row], hint: str | None) -> tuple[str, Parsed | None]:
    """Stage 5, parse: the document type and its fields, from the card's rows."""
    ktp, npwp = parse_ktp(_ktp_rows(rows)), parse_npwp(rows)
    doc_type = choose(ktp, npwp, hint)
    return doc_type, {"KTP": ktp, "NPWP": npwp}.get(doc_type)


def reparse_ktp(rows: list[Row]) -> Parsed:
    return parse_ktp(_ktp_rows(rows))


def parse_fields(reading: CardReading, rows: list[Row], hint: str | None, gray: np.ndarray | None) -> None:
    """Parse, and verify against the card image when there is one (for the baseline, peer and tests)."""
    from ocr_gpu.engine.verify import verify

    reading.doc_type, parsed = parse(rows, hint)
    if parsed is not None and gray is not None:
        parsed = verify(reading.doc_type, parsed, rows, gray)
    if parsed is not None:
        reading.fields, reading.confidence, reading.checks = parsed.fields, parsed.confidence, parsed.checks
