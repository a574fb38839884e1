"""NPWP fields from the rows of a rectified card.

The NPWP prints few labels: the number and NIK rows are labelled, the name is the row
under the number, the address the rows after that up to the KPP row.
"""

import re

from idnumbers.npwp import is_valid_npwp
from ocr_gpu.engine.digits import digit_run, parse_date
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.layout import Row, address_text, clean_value, letters, snap, split_label, word_text
from ocr_gpu.engine.nik import correct_nik

LABELS = {"npwp": "NPWP", "nik": "NIK", "registered": "TANGGAL TERDAFTAR"}
_HEADER_WORDS = ("KEMENTERIAN", "KEUANGAN", "DIREKTORAT", "JENDERAL", "PAJAK")


def _is_header(row: Row) -> bool:
    words = [letters(word) for word in row.text.split()]
    return sum(snap(word, _HEADER_WORDS, 0.75) is not None for word in words) >= 2


# What the word after `KPP` says: the office's kind.
_KPP_KINDS = ["PRATAMA", "MADYA", "WAJIB"]


def _label_of(row: Row) -> tuple[str | None, str]:
    text = row.text.upper()
    if snap(letters(text.split(":")[0]), ["NPWP", "NPWPI"], 0.7):
        return "npwp", text.partition(":")[2] or text
    first_word = letters(text.split()[0]) if text.split() else ""
    if re.match(r"\s*KPP\b", text) or (len(first_word) <= 4 and snap(first_word, ["KPP"], 0.66)):
        # `KP.` (kampung) starts addresses too: a KPP read short names its office's kind.
        kind = [letters(word) for word in text.split()[1:2]]
        if first_word != "KP" or (kind and snap(kind[0], _KPP_KINDS, 0.7)):
            return "kpp", text
    if "TERDAFTAR" in letters(text) or snap(letters(text)[:16], ["TANGGALTERDAFTAR"], 0.7):
        return "registered", text
    nik = re.match(r"\s*N[I1lL|][KX]\b[\s:;.,\-=~]*", text)
    if nik:  # the colon is often read as a dash or not at all
        return "nik", text[nik.end() :]
    if len(re.sub(r"[^0-9]", "", text)) >= 14 and len(letters(text)) <= 4:
        return "nik", text  # the NIK row with its label misread: nothing else is 16 digits
    return split_label(text, {"nik": "NIK"})


def _kpp_cut(row: Row) -> bool:
    """Whether the row starts with the office's kind (`RATAMA BALIKPAPAN`, `P PRATAMA`): the
    KPP row with its `KPP` and perhaps more unread. Asked only after an address row."""
    words = [letters(word) for word in row.text.upper().split()]
    if words and len(words[0]) <= 2:  # what is left of `KPP`: `P PRATAMA`
        words = words[1:]
    return bool(words) and snap(words[0], _KPP_KINDS[:2], 0.75) is not None


def parse_npwp(rows: list[Row]) -> Parsed:
    parsed = Parsed()
    headers = [row for row in rows if _is_header(row)]
    parsed.landmarks = len(headers)
    body = [row for row in rows if row not in headers]
    address: list[Row] = []
    after_number = name_seen = kpp_seen = False
    for row in body:
        key, value = _label_of(row)
        if key in ("npwp", "nik"):
            parsed.lines_of[key] = row.lines
        if key == "npwp":
            parsed.landmarks += 1
            _read_number(parsed, value, row.confidence)
            after_number = True
        elif key == "nik":
            digits = digit_run(value, (16,))
            parsed.put("nik", correct_nik(digits) or digits if digits else None, row.confidence)
        elif key == "kpp":
            parsed.landmarks += 1
            kpp_seen = True
            parsed.lines_of["kpp"] = row.lines
            parsed.put_text(
                "kpp", clean_value(re.sub(r"[^A-Z0-9 .\-]", "", row.text.upper())), row.confidence
            )
        elif key == "registered":
            parsed.landmarks += 1
            parsed.lines_of["registered"] = row.lines
            parsed.put("registered_date", parse_date(value.rpartition(":")[2] or value), row.confidence)
        elif after_number and not name_seen and word_text(row.text):
            parsed.put_text("name", word_text(row.text), row.confidence)
            parsed.lines_of["name"] = row.lines
            name_seen = True
        elif address and not kpp_seen and _kpp_cut(row):
            # The KPP row read without its start (a thumb over the card's corner): it ends
            # the address all the same, and what is left of the office's name is no value.
            kpp_seen = True
            parsed.landmarks += 1
        elif name_seen and not kpp_seen:
            address.append(row)
    if address:
        parsed.lines_of["address"] = [line for row in address for line in row.lines]
        text = address_text(" ".join(row.text for row in address))
        parsed.put_text("address", text, min(row.confidence for row in address))
    return parsed


def _read_number(parsed: Parsed, value: str, confidence: float) -> None:
    digits = digit_run(value, (15, 16))
    if digits is None:
        parsed.flag("npwp_unreadable", "the NPWP number does not read as 15 or 16 digits")
        return
    if not is_valid_npwp(digits):
        # 15 digits (or 0 + 15): the Luhn digit over the first 8; 16 otherwise: a NIK.
        parsed.flag("npwp_check_digit_invalid", "the NPWP number fails its check (Luhn digit or NIK form)")
        confidence *= 0.5
    parsed.put("npwp", digits, confidence)
