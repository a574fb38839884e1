"""The NIK (Nomor Induk Kependudukan): 16 digits PP KK CC DDMMYY SSSS.

PP province, KK regency/city, CC district, DD day of birth (+40 for women), MM month,
YY year, SSSS serial. The structure lets us reject misreadings and, when exactly one
look-alike digit swap makes a misread NIK well formed, correct it. It never borrows
digits from the printed birth date: a NIK that disagrees with the card is a fraud
signal to report, not an OCR error to "fix".
"""

import datetime as dt
from dataclasses import dataclass

from ocr_gpu.engine.regions import PROVINCES

# Digits that Tesseract confuses with one another on worn or blurred prints.
LOOKALIKES: dict[str, str] = {
    "0": "869",
    "1": "74",
    "2": "7",
    "3": "85",
    "4": "1",
    "5": "63",
    "6": "508",
    "7": "12",
    "8": "036",
    "9": "0",
}


@dataclass(frozen=True)
class NikFacts:
    """What a well-formed NIK says about its holder."""

    province: str
    regency: str
    district: str
    day: int
    month: int
    year2: int
    female: bool


def decode_nik(nik: str) -> NikFacts | None:
    """The NIK's facts, or None when it is not structurally valid."""
    if len(nik) != 16 or not nik.isdigit():
        return None
    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    if province not in PROVINCES or regency == "00" or district == "00" or nik[12:] == "0000":
        return None
    if not _is_date(day, month, year2):
        return None
    return NikFacts(province, regency, district, day, month, year2, female)


def _is_date(day: int, month: int, year2: int) -> bool:
    # The century is not in the NIK; a date valid in either century is acceptable.
    for century in (1900, 2000):
        try:
            dt.date(century + year2, month, day)
            return True
        except ValueError:
            continue
    return False


def is_valid_nik(nik: str) -> bool:
    return decode_nik(nik) is not None


def correct_nik(digits: str) -> str | None:
    """A valid NIK from 16 read digits: as read, or after the one unambiguous look-alike swap."""
    if len(digits) != 16 or not digits.isdigit():
        return None
    if is_valid_nik(digits):
        return digits
    candidates = {
        digits[:i] + swap + digits[i + 1 :]
        for i, digit in enumerate(digits)
        for swap in LOOKALIKES[digit]
        if is_valid_nik(digits[:i] + swap + digits[i + 1 :])
    }
    return candidates.pop() if len(candidates) == 1 else None


def make_nik(regency_code: str, district: int, birth: dt.date, female: bool, serial: int) -> str:
    day = birth.day + (40 if female else 0)
    return f"{regency_code}{district:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def nik_disagreements(nik: str, birth_date: str | None, gender: str | None) -> list[str]:
    """Codes for each way the NIK contradicts the printed birth date (ISO) or gender."""
    facts = decode_nik(nik)
    if facts is None:
        return []
    problems = []
    if birth_date:
        year, month, day = (int(part) for part in birth_date.split("-"))
        if (facts.day, facts.month, facts.year2) != (day, month, year % 100):
            problems.append("nik_birth_date_mismatch")
    if gender in ("MALE", "FEMALE") and facts.female != (gender == "FEMALE"):
        problems.append("nik_gender_mismatch")
    return problems
