"""Reading digits and dates out of OCR text, where letters stand in for digits."""

import datetime as dt
import re

# Letters Tesseract returns for digits on ID cards (issue 4's list plus a few seen here).
_AS_DIGIT = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "U": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "!": "1",
        "L": "1",
        "J": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "$": "5",
        "B": "8",
        "b": "6",
        "G": "6",
        "T": "7",
        "A": "4",
        "g": "9",
        "q": "9",
    }
)
_DATE = re.compile(r"(\d{1,2})\D{0,3}?(\d{1,2})\D{0,3}?(\d{4})")


def as_digits(text: str) -> str:
    """Map look-alike letters to digits and keep only the digits."""
    return re.sub(r"\D", "", text.translate(_AS_DIGIT))


def digit_run(text: str, lengths: tuple[int, ...]) -> str | None:
    """The digits of the token sequence that looks most like a number of one of `lengths`."""
    tokens = re.findall(r"[0-9OoDQUIl|i!LJZzSs$BbGTAgq.\-/ ]+", text)
    for token in sorted(tokens, key=lambda t: -len(as_digits(t))):
        digits = as_digits(token)
        if len(digits) in lengths:
            return digits
    digits = as_digits(text)
    return digits if len(digits) in lengths else None


def digit_runs(text: str, lengths: tuple[int, ...]) -> list[str]:
    """Every reading of the text as a number of one of `lengths`, the likeliest first.

    Besides digit_run's pick, runs of whole words: a colon read as `1` in front of a
    NIK makes 17 digits, of which the last 16 words are the number.
    """
    found = [digit_run(text, lengths)]
    words = re.findall(r"[0-9OoDQUIl|i!LJZzSs$BbGTAgq.\-/]+", text)
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size + 1):
            found.append(as_digits("".join(words[start : start + size])))
    return [digits for digits in dict.fromkeys(found) if digits and len(digits) in lengths]


def parse_date(text: str) -> str | None:
    """An ISO date from a printed DD-MM-YYYY (any separators, look-alike letters).

    The first valid date that starts where a number starts; look-alike letters count as
    digits first only in words that hold a digit, so a label in front of the date
    (`TANGGAL TERDAFTAR`, whose letters read 74N6641 as digits) is no part of it.
    """
    fixed = text.translate(_AS_DIGIT)
    numbers = re.sub(r"\S*\d\S*", lambda word: word.group().translate(_AS_DIGIT), text)
    for candidate in (numbers, fixed):
        for start in range(len(candidate)):
            if start and candidate[start - 1].isdigit():
                continue
            match = _DATE.match(candidate, start)
            if match and (date := _iso(*(int(part) for part in match.groups()))):
                return date
    digits = re.sub(r"\D", "", fixed)
    return _iso(int(digits[:2]), int(digits[2:4]), int(digits[4:])) if len(digits) == 8 else None


def _iso(day: int, month: int, year: int) -> str | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
