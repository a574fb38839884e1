"""Stage 6, verify: readings that fail their field's check are read again from the card.

The NIK's structure and the NPWP's check digit, dates, vocabularies and the RT/RW form
decide between readings (rereading); free text Tesseract was unsure of is read at other
scales and the surest reading kept. Nothing is corrected by guessing.
"""

import numpy as np

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.layout import Row
from ocr_gpu.engine.npwp import parse_npwp
from ocr_gpu.engine.parse import parse, reparse_ktp
from ocr_gpu.engine.rereading import reread_numbers, reread_unchecked, reread_unsure
from ocr_gpu.engine.secondopinion import UNSURE, disputed_lines, second_opinion, settle_disputes


def verify(
    doc_type: str, parsed: Parsed, rows: list[Row], gray: np.ndarray, config: EngineConfig | None = None
) -> Parsed:
    def reparse() -> Parsed:
        return reparse_ktp(rows) if doc_type == "KTP" else parse_npwp(rows)

    disputed: set[str] = set()
    second = config is not None and config.second_opinion
    if config is not None and second:
        parsed, disputed = second_opinion(parsed, gray, reparse, config)
    parsed = reread_numbers(rows, doc_type, parsed, gray, parse)
    if doc_type == "KTP":
        parsed = reread_unchecked(parsed, gray, reparse, skip=disputed_lines(disputed))
        if not second:
            # With the second opinion on, the same unsure free-text lines were judged by two
            # readers agreeing: a third, surer-looking Tesseract reading must not undo that.
            parsed = reread_unsure(parsed, gray, reparse)
        parsed = drop_contradicted(parsed)
    return settle_disputes(parsed, disputed)


# What the NIK encodes (birth date, gender) against what the card was read to print.
_CONTRADICTED = {"nik_birth_date_mismatch": "birth_date", "nik_gender_mismatch": "gender"}


def drop_contradicted(parsed: Parsed) -> Parsed:
    """An unsure reading the NIK contradicts, after every reread, is left out, not passed on.

    Read with confidence, a date or gender that differs from the NIK stays, with its check:
    a card may really print another (a reviewer decides). Read unsure, the contradiction
    is far likelier a misreading (1981 read as 1901): the field is absent and the check
    says why, instead of a wrong value flagged as a mismatch.
    """
    for code, name in _CONTRADICTED.items():
        flagged = any(check["code"] == code for check in parsed.checks)
        if flagged and parsed.confidence.get(name, 1.0) < UNSURE:
            parsed.fields.pop(name, None)
            parsed.confidence.pop(name, None)
            parsed.checks = [check for check in parsed.checks if check["code"] != code]
            what = name.replace("_", " ")
            parsed.flag(f"{name}_unsure", f"the {what} read unsure and differs from the NIK")
    return parsed
