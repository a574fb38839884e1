"""KTP fields from the rows of a rectified card."""

import re
from collections.abc import Callable

from idnumbers.nik import nik_disagreements
from ocr_gpu.engine.digits import digit_run, digit_runs, parse_date
from ocr_gpu.engine.fields import FREE_TEXT_FLOOR, Parsed
from ocr_gpu.engine.ktpheader import names_a_region, read_header, regency_name, resolve_header
from ocr_gpu.engine.ktprows import Entry, align, split_row, value_column, value_fits
from ocr_gpu.engine.layout import Row, address_text, clean_value, letters, word_text
from ocr_gpu.engine.nik import correct_nik
from ocr_gpu.engine.vocab import closest
from ocr_gpu.engine.vocabularies import (
    BLOOD_TYPES,
    GENDERS,
    MARITAL,
    OCCUPATION_ABBREVIATIONS,
    OCCUPATIONS,
    PRINTED_OCCUPATIONS,
    RELIGIONS,
)

LABELS = {
    "nik": "NIK",
    "name": "NAMA",
    "birth": "TEMPAT/TGL LAHIR",
    "gender": "JENIS KELAMIN",
    "address": "ALAMAT",
    "rt_rw": "RT/RW",
    "village": "KEL/DESA",
    "district": "KECAMATAN",
    "religion": "AGAMA",
    "marital_status": "STATUS PERKAWINAN",
    "occupation": "PEKERJAAN",
    "nationality": "KEWARGANEGARAAN",
    "valid_until": "BERLAKU HINGGA",
}


def parse_ktp(rows: list[Row]) -> Parsed:
    parsed, header = Parsed(), []
    entries: list[Entry] = []
    value_from = value_column(rows)
    for row in rows:
        entry = split_row(row, LABELS, value_from)
        # A header line printed as wide as the card starts at the label margin: it is no label.
        wide_header = not entries and entry.key is None and names_a_region(row.text)
        if (entries or entry.labelled or _fits("nik", entry.value)) and not wide_header:
            entries.append(entry)
        else:
            header.append(row)
    raw: dict[str, tuple[str, float]] = {}
    for key, entry, second_line in align(entries, LABELS, _fits):
        if second_line:
            text, confidence = raw[key]
            raw[key] = (f"{text} {entry.value}", min(confidence, entry.confidence))
        else:
            raw[key] = (entry.value, entry.confidence)
            parsed.lines_of[key] = entry.lines
    strong = {entry.key for entry in entries if entry.key}
    read_header(parsed, header)
    for key, (value, confidence) in raw.items():
        _READERS.get(key, _read_text)(parsed, key, value, confidence)
    _check_nik(parsed)
    resolve_header(parsed)
    parsed.landmarks = len(strong) + ("province" in parsed.pending) + 2 * _nik_names_the_header(parsed)
    return parsed


def _nik_names_the_header(parsed: Parsed) -> bool:
    """A well-formed NIK issued in the regency the header prints: a KTP's own structure.

    On a photo too soft for its labels this is what still tells a KTP: the NPWP prints
    neither a PROVINSI header nor a regency, and a misread NIK rarely names the printed one.
    Only a header that names its regency by itself counts: where the NIK chose between the
    names a reading is equally near, the agreement is the NIK's own choice, no evidence.
    """
    codes = {check["code"] for check in parsed.checks}
    return (
        "nik" in parsed.fields
        and "city" in parsed.fields
        and not codes & {"nik_invalid", "nik_unreadable", "nik_regency_mismatch"}
        and regency_name(parsed.pending["city"][0]) is not None
    )


def _read_text(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    text = re.sub(r"[^A-Z0-9.,'/\- ]", "", clean_value(value))
    parsed.put(key, clean_value(text), confidence)


def _read_address(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    parsed.put_text(key, address_text(value), confidence)


def _read_name(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    parsed.put_text(key, word_text(value), confidence)


def _read_nik(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    # The colon before the NIK, read as a 1 and run into it, makes 17 digits.
    glued = [digits[1:] for digits in digit_runs(value, (17,)) if digits[0] == "1"]
    candidates = digit_runs(value, (16,)) + glued
    if not candidates:
        parsed.flag("nik_unreadable", "the NIK does not read as 16 digits")
        return
    for digits in candidates:
        corrected = correct_nik(digits)
        if corrected is not None:
            parsed.put("nik", corrected, confidence if corrected == digits else confidence * 0.8)
            return
    parsed.flag("nik_invalid", "the NIK is not a well-formed NIK (region, date or serial)")
    parsed.put("nik", candidates[0], confidence * 0.5)


def _read_birth(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    text = " ".join(value.split())
    place, _, date = text.rpartition(",")
    if not place:
        match = re.search(r"[0-9]{2}\W{0,2}[0-9OIl]{2}\W{0,2}[0-9OIl]{4}", text) or re.search(r"[0-9]", text)
        place, date = (text[: match.start()], text[match.start() :]) if match else (text, "")
    parsed.put_text(
        "birth_place", word_text(re.sub(r"[,;:]", " ", place)).replace(".", "").strip(), confidence
    )
    parsed.put("birth_date", parse_date(date), confidence)


def _read_gender(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    text = clean_value(value)
    match = re.search(r"G[O0Q]L|DARAH", text)
    gender_text, blood_text = (text[: match.start()], text[match.start() :]) if match else (text, "")
    spelled = {letters(word): value for word, value in GENDERS.items()}  # LAKILAKI: the dash is often lost
    gender = closest(letters(gender_text), spelled, 0.3)
    if gender is None and not match:
        # The blood type's label read past recognition (`PEREMPUAN Gh Daru a8`) stays in the
        # gender's text; the gender is the row's first word (LAKI-LAKI may be read as two).
        words = gender_text.split()
        found = {closest(letters(" ".join(words[:n])), spelled, 0.3) for n in (1, 2)} - {None}
        gender = found.pop() if len(found) == 1 else None
    parsed.put("gender", spelled.get(gender or ""), confidence)
    _read_blood(parsed, blood_text, confidence)


def _read_blood(parsed: Parsed, text: str, confidence: float) -> None:
    """The blood type after `Gol. Darah`; a `-` (not recorded) or anything else is no value."""
    blood = text.rpartition(":")[2] if ":" in text else re.sub(r"G[O0Q]L\.?|DARAH", "", text)
    # The colon read as a full stop (`Gol. Darah. B`) is no part of the value either.
    blood = blood.strip(" .,;:|").translate(str.maketrans("0QD\u00a98", "OOOOB"))
    blood = re.sub(r"[^ABO+\-]", "", blood.split(" ")[0] if blood else "").rstrip("+-")
    parsed.put("blood_type", blood if blood in BLOOD_TYPES else None, confidence)


def _read_rt_rw(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    parts = [run for part in re.split(r"[/\\|]", value) if (run := digit_run(part, (1, 2, 3)))]
    if len(parts) != 2:
        digits = digit_run(value, (6,))
        parts = [digits[:3], digits[3:]] if digits else []
    if len(parts) != 2:
        # The slash read as a 1 or 7 between two three-digit numbers: no RT/RW has 7 digits.
        slashed = re.fullmatch(r"\s*(0[0-9]{2})[17]([0-9]{3})\s*", clean_value(value))
        parts = list(slashed.groups()) if slashed else []
    # There is no RT or RW 000, and none past 099 (a kelurahan's RWs and an RW's RTs number in
    # the tens): 810/015 is a misread 010/015, left for a re-read to settle, never guessed.
    if len(parts) == 2 and all(0 < int(part) < _RT_RW_LIMIT for part in parts):
        parsed.put("rt_rw", f"{int(parts[0]):03d}/{int(parts[1]):03d}", confidence)


_RT_RW_LIMIT = 100


def _vocabulary(vocabulary: tuple[str, ...], share: float, open_ended: bool = False) -> Callable[..., None]:
    """A reader for a field with a closed list: the entry clearly meant, else nothing.

    Open-ended lists (occupations: a card may print one the list lacks) keep a reading that
    matches no entry as printed, at half its confidence.
    """

    def read(parsed: Parsed, key: str, value: str, confidence: float) -> None:
        text = clean_value(value)
        match = closest(text, vocabulary, share)
        # Kept as printed only what reads like a word, as surely as free text must be read.
        printed = re.fullmatch(r"[A-Z][A-Z/ .-]+", text) and len(letters(text)) >= 4
        # A reading inside a listed entry is that entry cut short (DAGANG of PEDAGANG), not another.
        printed = printed and not any(text in entry for entry in vocabulary)
        if match is None and open_ended and printed and confidence >= FREE_TEXT_FLOOR:
            parsed.put(key, text, confidence * 0.5)
        else:
            parsed.put(key, match, confidence)

    return read


_read_occupation_name = _vocabulary(OCCUPATIONS, 0.2, open_ended=True)


def _read_occupation(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    """An occupation, with the abbreviation SIAK prints after three of them when it is there:
    the name must read as that entry and the bracket as its own abbreviation."""
    name, bracket, abbreviation = clean_value(value).partition("(")
    entry = closest(clean_value(name), OCCUPATIONS, 0.2) if bracket else None
    expected = OCCUPATION_ABBREVIATIONS.get(entry or "")
    if expected and closest(letters(abbreviation), [expected], 0.25) == expected:
        parsed.put(key, f"{entry} ({expected})", confidence)
    else:
        _read_occupation_name(parsed, key, value, confidence)


def _read_nationality(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    # WNI and WNA differ in one letter: only a reading of exactly one of them counts.
    text = letters(clean_value(value).translate(str.maketrans("1|!L", "IIII")))
    parsed.put(key, text if text in ("WNI", "WNA") else None, confidence)


def _read_valid_until(parsed: Parsed, key: str, value: str, confidence: float) -> None:
    text = clean_value(value)
    if closest(letters(text), ["SEUMURHIDUP"], 0.3):
        parsed.put(key, "SEUMUR HIDUP", confidence)
    else:
        parsed.put(key, parse_date(text), confidence)


def _check_nik(parsed: Parsed) -> None:
    nik = parsed.fields.get("nik", "")
    for code in nik_disagreements(nik, parsed.fields.get("birth_date"), parsed.fields.get("gender")):
        what = "birth date" if "birth" in code else "gender"
        parsed.flag(code, f"the NIK encodes a different {what} than the card prints")


_fits = value_fits(
    {
        "religion": RELIGIONS,
        "marital_status": MARITAL,
        "nationality": ("WNI", "WNA"),
        "occupation": PRINTED_OCCUPATIONS,
    }
)

_READERS = {
    "nik": _read_nik,
    "name": _read_name,
    "address": _read_address,
    "village": _read_name,
    "district": _read_name,
    "birth": _read_birth,
    "gender": _read_gender,
    "rt_rw": _read_rt_rw,
    "religion": _vocabulary(RELIGIONS, 0.3),
    "marital_status": _vocabulary(MARITAL, 0.3),
    "nationality": _read_nationality,
    "occupation": _read_occupation,
    "valid_until": _read_valid_until,
}
