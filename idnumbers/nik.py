"""The NIK (Nomor Induk Kependudukan): 16 digits PP KK CC DDMMYY SSSS.

PP province, KK regency/city, CC district (the place the NIK was issued), DD day of birth
(+40 for women), MM month, YY year, SSSS serial. Birth-date rules are python-stdnum's
(`stdnum.id.nik.get_birth_date`); the place is checked against the Kemendagri codes of
`idnumbers.regions` (stdnum's own place check uses BPS codes, which NIKs do not carry).
"""

import datetime as dt
from dataclasses import dataclass

from stdnum.exceptions import ValidationError
from stdnum.id import nik as stdnum_nik

from idnumbers.regions import PROVINCES, Regency, regency


@dataclass(frozen=True)
class NikFacts:
    """What a well-formed NIK says about its holder."""

    province: str  # two digits
    regency: str  # two digits, within the province
    district: str
    day: int
    month: int
    year2: int
    female: bool

    @property
    def regency_code(self) -> str:
        return self.province + self.regency

    def issuing_regency(self) -> Regency | None:
        """The regency the NIK was issued in, when its code is in today's list.

        A NIK keeps its code when a regency is split or renumbered, so an unknown code of a
        known province is still a well-formed NIK.
        """
        return regency(self.regency_code)


def decode_nik(nik: str) -> NikFacts | None:
    """The NIK's facts, or None when it is not structurally valid."""
    if len(nik) != 16 or not nik.isdigit():
        return None
    province, regency_part, district = nik[0:2], nik[2:4], nik[4:6]
    if province not in PROVINCES or regency_part == "00" or district == "00" or nik[12:] == "0000":
        return None
    day = int(nik[6:8])
    if not (1 <= day <= 31 or 41 <= day <= 71):  # stdnum takes the day modulo 40: 97 would pass
        return None
    try:
        stdnum_nik.get_birth_date(nik)
    except (ValidationError, ValueError):
        return None
    female = day > 40
    return NikFacts(
        province, regency_part, district, day - 40 if female else day, int(nik[8:10]), int(nik[10:12]), female
    )


def is_valid_nik(nik: str) -> bool:
    return decode_nik(nik) is not None


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
