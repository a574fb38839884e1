"""Repairing a misread NIK: the OCR-only part on top of `idnumbers.nik`'s rules.

When exactly one look-alike digit swap makes a misread NIK well formed, that swap is
the reading. It never borrows digits from the printed birth date: a NIK that disagrees
with the card is a fraud signal to report, not an OCR error to "fix".
"""

from idnumbers.nik import decode_nik

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


def _well_formed(nik: str) -> bool:
    facts = decode_nik(nik)
    return facts is not None and facts.issuing_regency() is not None


def correct_nik(digits: str) -> str | None:
    """A NIK from 16 read digits: as read when well formed, or after the one look-alike swap
    that makes it well formed with a regency code of today's list."""
    if len(digits) != 16 or not digits.isdigit():
        return None
    if decode_nik(digits) is not None:
        return digits
    candidates = {
        digits[:i] + swap + digits[i + 1 :]
        for i, digit in enumerate(digits)
        for swap in LOOKALIKES[digit]
        if _well_formed(digits[:i] + swap + digits[i + 1 :])
    }
    return candidates.pop() if len(candidates) == 1 else None
