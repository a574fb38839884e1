"""From recognized lines to rows and `label : value` pairs, in the card's 1000 x 630 frame."""

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass
class Line:
    text: str
    confidence: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Row:
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines if line.text)

    @property
    def x0(self) -> float:
        return self.lines[0].x0

    @property
    def confidence(self) -> float:
        return min((line.confidence for line in self.lines if line.text), default=0.0)


def group_rows(lines: list[Line]) -> list[Row]:
    """Lines that share a baseline band, top to bottom, each row left to right."""
    rows: list[Row] = []
    for line in sorted(lines, key=lambda item: item.cy):
        if rows:
            last = rows[-1]
            anchor = sum(item.cy for item in last.lines) / len(last.lines)
            band = 0.45 * min(line.height, min(item.height for item in last.lines))
            if abs(line.cy - anchor) <= band:
                last.lines.append(line)
                continue
        rows.append(Row([line]))
    for row in rows:
        row.lines.sort(key=lambda item: item.x0)
        row.lines = [line for i, line in enumerate(row.lines) if not _mark_in(row.lines, i)]
    return rows


def _mark_in(lines: list[Line], i: int) -> bool:
    """Is the row's i-th box punctuation: the colon before the next box, or after the last
    box a dash (a blood type printed `-`)?"""
    if i + 1 < len(lines):
        return _mark(lines[i], lines[i + 1], lines[i + 1].x0 - lines[i].x1)
    return i > 0 and _mark(lines[i], lines[i - 1], lines[i].x0 - lines[i - 1].x1)


# A box under this share of the next box's height is punctuation, not print of the value.
_MARK_HEIGHT = 0.7


def _mark(line: Line, beside: Line, gap: float) -> bool:
    """A colon or dash found as a box of its own, right beside the print it belongs to.

    It is lower than the print's capitals (a colon spans about the x-height) and narrow,
    and Tesseract reads it as anything (`1`, `P`, `:2`, `: B`, `28)`), which would start the
    value: its size decides, not its reading. A value's own letters (a blood type, a short
    word) stand as tall as the box beside them; a value's print is upper case.
    """
    height = beside.height
    return line.height < _MARK_HEIGHT * height and line.x1 - line.x0 < 1.2 * height and gap < height


def letters(text: str) -> str:
    return re.sub(r"[^A-Z]", "", text.upper())


def clean_value(text: str) -> str:
    """Uppercase, whitespace collapsed, stray separators from the colon column removed."""
    text = " ".join(text.upper().split())
    return text.strip(" :;.,|_-'\"=+>~*\u201c\u201d\u2018\u2019\u00ab\u00bb").strip()


def split_label(text: str, labels: dict[str, str], cutoff: float = 0.72) -> tuple[str | None, str]:
    """The label key a row starts with and the rest of the row (its value)."""
    upper = text.upper()
    if ":" in upper:
        head, _, tail = upper.partition(":")
        key = _best_label(letters(head), labels, cutoff)
        if key:
            return key, tail
    for key, label in labels.items():
        wanted = letters(label)
        if len(wanted) < 4:
            continue  # short labels (NIK) only with a colon: too easy to match by chance
        cut = _after_letters(upper, len(wanted))
        if cut and ratio(letters(upper[:cut]), wanted) >= 0.85:
            # No colon was read: it is usually there, misread as a lone 1, I, + or the like.
            return key, re.sub(r"^\s*[1Il|!+*;.,4A=>~\-\u201c\u201d2]\s+", " ", upper[cut:])
    return None, upper


def _after_letters(text: str, count: int) -> int:
    """The index just past the count-th letter of text, or 0 when it has fewer letters."""
    seen = 0
    for index, char in enumerate(text, start=1):
        seen += char.isalpha()
        if seen == count:
            return index
    return 0


# A card's parse runs again after every re-read: the same label comparisons, answered once.
@lru_cache(maxsize=8192)
def ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _best_label(head: str, labels: dict[str, str], cutoff: float) -> str | None:
    if not head:
        return None
    scored = [(ratio(head, letters(label)), key) for key, label in labels.items()]
    score, key = max(scored)
    return key if score >= cutoff else None


def snap(value: str, vocabulary: tuple[str, ...] | list[str], cutoff: float) -> str | None:
    """The vocabulary entry a reading most resembles, if one is close enough and closest.

    For recognising labels and what kind of value a row holds, never for a field's value
    (vocab.closest decides those). A reading as close to two entries is no match.
    """
    if value in vocabulary:
        return value
    scored = []
    for entry in vocabulary:
        matcher = difflib.SequenceMatcher(None, value, entry)
        # The quick upper bounds first: most entries are far, and ratio() is the slow part.
        if matcher.real_quick_ratio() >= cutoff - 0.05 and matcher.quick_ratio() >= cutoff - 0.05:
            scored.append((matcher.ratio(), entry))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < cutoff:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.05:
        return None
    return scored[0][1]


# Short words a value may really start with: address abbreviations, Balinese name particles.
_KEPT = {"JL", "GG", "NO", "RT", "RW", "KP", "DS", "NI"}
_BALINESE = r"N?I\s+(?:WAYAN|MADE|NYOMAN|KETUT|GEDE|GUSTI|PUTU|KADEK|KOMANG|NENGAH|LUH)\b"


def strip_colon_residue(value: str) -> str:
    """A value without what Tesseract made of the colon in front of it (`1`, `Z`, `OT`, `|`, `R:`).

    Only for values read from their own box, which starts at the colon column: there a
    leading token of two characters or fewer before a word is the colon, not the value,
    unless it is a short word a value starts with (`JL`, `GG`, `I WAYAN`, `NI LUH`).
    """
    value = value.upper()
    if re.match(rf"\s*{_BALINESE}", value):
        return value
    # The label's last letter run into the colon (`R:SURABAYA` after `Tempat/Tgl Lahi`).
    glued = re.match(r"\s*([^\s:]{1,2}):\s*(?=[A-Z0-9])", value)
    if glued and glued.group(1) not in _KEPT:
        return value[glued.end() :]
    # A token ending in a full stop is an abbreviation (`JL.`, `A.`), not a colon.
    match = re.match(r"\s*([^A-Z0-9\s]*([A-Z0-9]{0,2})[^A-Z0-9\s.]*)\s+(?=[A-Z0-9]{2})", value)
    if not match or match.group(2) in _KEPT:
        return value
    return value[match.end() :]


_IN_WORDS = str.maketrans({"1": "I", "!": "I", "|": "I", "0": "O", "5": "S", "8": "B"})


def word_text(text: str) -> str:
    """A value printed in capital letters only (names, places), as read.

    The card prints no digits, lower case or `!` there, so inside a word those are the
    letters Tesseract mistook them for: a final I reads as `!`, `|` or `l` (`SUSI`
    read `SUS!`), an O as 0. Other stray characters are dropped.
    """
    words = []
    for word in text.split():
        if sum(char.isalpha() for char in word) >= 2:
            word = word.translate(_IN_WORDS)
            if not re.search(r"[a-km-z]", word):  # a lone l among capitals is an I
                word = word.replace("l", "I")
        words.append(re.sub(r"[^A-Z.,' \-]", "", word.upper()))
    return clean_value(" ".join(words))


def address_text(text: str) -> str:
    """An address as printed: the abbreviations' dots, and digits where letters were read."""
    text = clean_value(re.sub(r"[^A-Z0-9.,'/\- ]", "", text.upper()))
    text = re.sub(r"\bN[O0][.,;:]?\s*(?=[0-9])", "NO. ", text)
    text = re.sub(r"\b(JL|GG|KP)[.,;:]?\s", r"\1. ", text)
    text = re.sub(r"\bR[I1l]\b", "RT", text)
    # RT and RW before their three digits: their R is read as A or K, their digits as letters.
    text = re.sub(r"\b[RAK]([TW])\s+([0-9OILDSB]{3})\b", lambda m: f"R{m[1]} {_digits(m[2])}", text)
    words = [_as_number(word) for word in text.split()]
    return " ".join(words)


def _digits(word: str) -> str:
    return word.translate(str.maketrans("OILDSB", "011058"))


def _as_number(word: str) -> str:
    if len(word) >= 2 and any(c.isdigit() for c in word) and re.fullmatch(r"[0-9OIl]+", word):
        return word.translate(str.maketrans("OIl", "011"))
    return word
