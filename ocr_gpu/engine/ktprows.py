"""Which KTP field each row of the card holds, from its label and from the rows' order.

The KTP prints its thirteen labelled rows in a fixed order. On a blurred photo a label
reads as `Jaran Ketaman` or nothing at all while its value still reads fine, so rows
are matched to fields by an alignment: each row's label similarity counts, but the
order decides for the rows whose label is unreadable. A row that starts in the value
column right after the name or address is that value's second line.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from ocr_gpu.engine.digits import as_digits, parse_date
from ocr_gpu.engine.layout import (
    Line,
    Row,
    clean_value,
    letters,
    ratio,
    snap,
    split_label,
    strip_colon_residue,
)

# A row starting this many line heights right of the label margin starts in the value column.
_VALUE_INDENT = 3.0
_WRAPS = ("name", "address")  # values long enough to continue on a second line
_ASSIGNED, _WRAPPED, _SKIPPED = 0.5, 0.3, 0.0  # base rewards, before label and value evidence
Fits = Callable[[str, str], bool]


@dataclass
class Entry:
    """One row, split into its label (when it has one) and its value."""

    label: str  # letters of the label as read; "" when the row starts in the value column
    key: str | None  # the field its label names clearly, if any
    value: str
    confidence: float
    labelled: bool
    lines: list[Line] = field(default_factory=list)  # the value's lines, read or not


def value_column(rows: list[Row]) -> float:
    """Where, on this card, a row starts in the value column rather than with a label.

    Measured on the card's own lines: labels start at the left margin (most rows' first
    line; a few are indented by a character or two) and the values after the widest label,
    many line heights further right, so a few line heights past the margin separates them.
    """
    starts = sorted(row.lines[0].x0 for row in rows if row.lines)
    heights = sorted(line.height for row in rows for line in row.lines)
    if not starts:
        return 0.0
    margin = starts[len(starts) // 4]
    return margin + _VALUE_INDENT * heights[len(heights) // 2]


def split_row(row: Row, labels: dict[str, str], value_from: float) -> Entry:
    """The row's label and value; a labelled value loses what Tesseract made of its colon.

    A row starting in the value column may be a second line, whose first word is no colon.
    """
    first = row.lines[0]
    if first.x0 >= value_from:
        return Entry("", None, row.text, row.confidence, False, row.lines)
    head, colon, tail = first.text.partition(":")
    if len(row.lines) >= 2 and not (colon and tail.strip()) and not re.search(r"[0-9]{3}", first.text):
        # The label is a box of its own: whatever it reads as, the value is the rest.
        rest = row.lines[1:]
        value = strip_colon_residue(" ".join(line.text for line in rest if line.text))
        confidence = min((line.confidence for line in rest if line.text), default=0.0)
        return Entry(letters(head), _named(head, labels), value, confidence, True, rest)
    key, value = split_label(row.text, labels)
    if key:
        return Entry(letters(labels[key]), key, strip_colon_residue(value), row.confidence, True, row.lines)
    return Entry(letters(head), None, row.text, row.confidence, True, row.lines)


def _named(head: str, labels: dict[str, str]) -> str | None:
    if not letters(head):
        return None
    score, key = max((ratio(letters(head), letters(label)), key) for key, label in labels.items())
    return key if score >= 0.72 else None


def align(entries: list[Entry], labels: dict[str, str], fits: Fits) -> list[tuple[str, Entry, bool]]:
    """(field, entry, is_a_second_line) for the entries that hold a field, in order.

    A dynamic programme over (next field, may the next entry be a second line): each
    entry is given a later field (rewarded for its label's similarity and for a value
    that fits the field; fields passed over cost a little), skipped, or taken as the
    second line of a name or address.
    """
    keys = list(labels)
    best: dict[tuple[int, bool], tuple[float, list]] = {(0, False): (0.0, [])}
    for entry in entries:
        following: dict[tuple[int, bool], tuple[float, list]] = {}
        for (j, can_wrap), (score, path) in best.items():
            moves = [((j, False), score + _SKIPPED, path)]
            if can_wrap and not entry.labelled and entry.value:
                moves.append(((j, False), score + _WRAPPED, [*path, (keys[j - 1], entry, True)]))
            for k in range(j, len(keys)):  # fields whose row was not found at all are passed over
                reward = _reward(entry, keys[k], labels[keys[k]], fits) - 0.15 * (k - j)
                if reward > 0:
                    moves.append(
                        ((k + 1, keys[k] in _WRAPS), score + reward, [*path, (keys[k], entry, False)])
                    )
            for state, total, steps in moves:
                if state not in following or total > following[state][0]:
                    following[state] = (total, steps)
        best = following
    return max(best.values(), key=lambda item: item[0])[1]


def _reward(entry: Entry, key: str, label: str, fits: Fits) -> float:
    if entry.key is not None:
        reward = _ASSIGNED + 2.0 if entry.key == key else -1.0
    elif entry.labelled:
        reward = _ASSIGNED + ratio(entry.label, letters(label))
    else:  # no label at all: only a value that fits places it
        reward = 0.2 if entry.value.strip() and fits(key, entry.value) else -1.0
    if reward > 0 and entry.value.strip() and fits(key, entry.value):
        reward += 0.4
    return reward


def value_fits(vocabularies: dict[str, tuple[str, ...]]) -> Fits:
    """A predicate: does this value look like what the field holds? (Remembered: the
    alignment asks it of every row for every field, and re-reading re-parses the card.)"""

    @lru_cache(maxsize=8192)
    def fits(key: str, value: str) -> bool:
        text = clean_value(value)
        if key == "nik":
            return len(re.sub(r"[^0-9]", "", text)) >= 8 and len(as_digits(text)) >= 14
        if key == "birth":
            return parse_date(text) is not None and bool(re.search(r"[A-Z]{3}", text))
        if key == "gender":
            return snap(letters(text)[:9], ["LAKILAKI", "PEREMPUAN"], 0.6) is not None
        if key == "rt_rw":
            return 4 <= len(re.sub(r"[^0-9]", "", text)) <= 7 and len(letters(text)) <= 2
        if key == "valid_until":
            return parse_date(text) is not None or snap(letters(text), ["SEUMURHIDUP"], 0.6) is not None
        if key in vocabularies:
            return snap(text, vocabularies[key], 0.6) is not None
        return False

    return fits
