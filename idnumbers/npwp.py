"""The NPWP (tax number): 15 digits `ST.sss.sss.C-OOO.BBB`, or 16 since mid-2024.

C is a Luhn check digit over the first 8 digits. The 16-digit NPWP is either the
holder's NIK or the old number with a leading 0 (python-stdnum's `stdnum.id.npwp`
rules); for the NIK form our own NIK check is used, since stdnum's checks the place
against BPS codes rather than the Kemendagri codes NIKs carry.
"""

from stdnum import luhn

from idnumbers.nik import is_valid_nik


def luhn_check_digit(digits: str) -> str:
    return luhn.calc_check_digit(digits)


def is_valid_npwp15(digits: str) -> bool:
    return len(digits) == 15 and digits.isdigit() and luhn.is_valid(digits[:9])


def is_valid_npwp(digits: str) -> bool:
    """A 15-digit NPWP with its check digit, or a 16-digit one (a NIK, or 0 + a valid 15-digit one)."""
    if len(digits) == 16 and digits.isdigit():
        return is_valid_npwp15(digits[1:]) if digits[0] == "0" else is_valid_nik(digits)
    return is_valid_npwp15(digits)


def format_npwp15(digits: str) -> str:
    d = digits
    return f"{d[0:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:15]}"
