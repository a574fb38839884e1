"""Verify's second opinion: unsure key-field lines read again by the ONNX recognizer.

A value is accepted when both readers agree, or when exactly one reading passes the
field's own check (NIK structure, NPWP check digit, date validity, vocabulary); when both
pass and disagree, neither is taken. Free text (the name) has no check: there only
agreement counts: it lifts a reading Tesseract was unsure of over the free-text floor, and
two readings that differ leave the field absent.
"""

import re
from collections.abc import Callable

import numpy as np

from idnumbers.nik import nik_disagreements
from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.fields import FREE_TEXT_FLOOR, Parsed
from ocr_gpu.engine.layout import Line
from ocr_gpu.engine.lexicon import entry_of
from ocr_gpu.engine.linecrops import crop_line
from ocr_gpu.engine.recognize import line_reader
from ocr_gpu.engine.vocabularies import GENDERS, MARITAL, PRINTED_OCCUPATIONS, RELIGIONS

UNSURE = 0.8  # Tesseract confidence below which a key field's line gets a second opinion
# Free text and the birth place have no check of their own: Tesseract's misreadings of soft
# print there come at 0.8-0.94 (tuning photos): below 0.95 two readers must agree. (0.95 lost
# 0.8 points of exact fields on the tuning cards while the second reader read Tesseract's
# flattened crop; on the plain crop it loses none and halves the hard tuning-style photos'
# wrong values, 2.1 % -> 1.2 %, for ~80 ms more per card.)
UNSURE_TEXT = 0.95
# Label key -> the fields its line gives and the checks that flag them as failing.
_KEY_FIELDS = {
    "nik": (("nik",), ("nik_unreadable", "nik_invalid")),
    "npwp": (("npwp",), ("npwp_unreadable", "npwp_check_digit_invalid")),
    "birth": (("birth_place", "birth_date"), ()),
    "gender": (("gender",), ()),
    "rt_rw": (("rt_rw",), ()),
    "religion": (("religion",), ()),
    "marital_status": (("marital_status",), ()),
    "nationality": (("nationality",), ()),
    "occupation": (("occupation",), ()),
    "valid_until": (("valid_until",), ()),
    "registered": (("registered_date",), ()),
}
# Free text has no check: only two readers agreeing lets an unsure reading through.
_FREE_TEXT = ("name", "address", "village", "district", "kpp")
# Lines whose readings are weighed by agreement alone (free text, the birth line, and the
# NPWP's registration date: 02-06-2015 for 02-08-2015 is as valid a date, read at 0.89).
_AGREEABLE = (*_FREE_TEXT, "birth", "registered")


def _tokens(text: str) -> list[str]:
    """A reading's runs of letters and runs of digits, in order: apostrophes and quotes do not
    split a word (MA'RUF is MARUF); any other mark or space separates, so does letter to digit."""
    return re.findall(r"[A-Z]+|[0-9]+", re.sub(r"['`\"\u2018\u2019]", "", text.upper()))


def _same_text(a: str, b: str) -> bool:
    """Two readings of a line say the same: the same letter and digit runs in the same order.

    Where the marks between runs fall counts: NO. 1/23 and NO. 12/3, RT 01/012 and RT 010/12
    have the same digits but are other values; JL.MELATI NO.12 and JL MELATI NO 12 agree.
    """
    tokens = _tokens(a)
    return bool(tokens) and tokens == _tokens(b)


def _values(parsed: Parsed, key: str) -> tuple[str, ...] | None:
    """The field values a label's line gave, when all are there and pass their checks."""
    wanted, flaws = _KEY_FIELDS[key]
    if any(check["code"] in flaws for check in parsed.checks):
        return None
    values = tuple(value for name in wanted if (value := parsed.fields.get(name)))
    if key in _OPEN_LISTS and not set(values) <= _OPEN_LISTS[key]:
        return None  # kept as printed, off the list: free text, which no single reading passes
    return values if len(values) == len(wanted) else None


# Lists a card may print a value off (occupations): only a listed value passes the check.
_OPEN_LISTS = {"occupation": frozenset(PRINTED_OCCUPATIONS)}


# Print runs 0.4-0.85 line heights a character (narrow and wide fonts, I and M alike); a reading
# that leaves more than this much of its box to each character has dropped part of the line
# (GSAR for GUNUNGSARI), however sure Tesseract says it is.
_SPARSE = 1.0


def _sparse(line: Line) -> bool:
    characters = len(line.text.strip(" :;.,|"))
    height = line.y1 - line.y0
    return characters > 0 and height > 0 and (line.x1 - line.x0) / (characters * height) > _SPARSE


def _implausible_rt_rw(text: str) -> bool:
    """An address reading an RT or RW past 099 (RT 613 for RT 013: a zero read as 6, 8 or 9)."""
    return any(int(number) >= 100 for number in re.findall(r"\bR[TW]\W{0,2}([0-9]{3})\b", text.upper()))


# Tesseract sure of a key field's line that still gives no value passing the field's check
# (`wnt` at 0.80 for WNI): the second reader's reading is weighed only when it is this sure.
SURE_ALONE = 0.9


def _sure_but_failing(parsed: Parsed, key: str) -> bool:
    return key in _KEY_FIELDS and key not in _AGREEABLE and _values(parsed, key) is None


def disputed_fields(key: str) -> tuple[str, ...]:
    return _KEY_FIELDS[key][0] if key in _KEY_FIELDS else (key,)


# The birth line gives two fields weighed each on its own: a dispute over one is that field's.
_BIRTH_PARTS = ("birth_place", "birth_date")


def disputed_lines(disputed: set[str]) -> set[str]:
    """The label keys of the disputed fields and keys: lines no later re-read may change."""
    return {"birth" if key in _BIRTH_PARTS else key for key in disputed}


def second_opinion(
    parsed: Parsed, gray: np.ndarray, reparse: Callable[[], Parsed], config: EngineConfig
) -> tuple[Parsed, set[str]]:
    """The card's fields after the second opinion, and the label keys the readers disputed."""
    from ocr_gpu.engine.second import second_reader, third_reader

    unsure, sure_but_failing = [], set()
    for key in (*_KEY_FIELDS, *_FREE_TEXT):
        for line in parsed.lines_of.get(key, []):
            if (
                line.confidence < (UNSURE_TEXT if key in _AGREEABLE else UNSURE)
                or _sparse(line)
                or _implausible_rt_rw(line.text)
            ):
                unsure.append((key, line))
            elif _sure_but_failing(parsed, key):
                unsure.append((key, line))
                sure_but_failing.add(len(unsure) - 1)
    disputed: set[str] = set()
    if not unsure:
        return parsed, disputed
    # The ONNX recognizers read the line as photographed, its box with a small margin: they
    # were trained on such crops, and Tesseract's (glare flattened, stretched, padded) made
    # PP-OCRv6 misread soft print it reads right plain (PURWODADK for PURWODADI; hard tuning-
    # style photos 0.758 -> 0.809 of fields read plain).
    crops = [_plain_crop(gray, line) for _, line in unsure]
    reader = second_reader(config)
    seconds, frames = zip(*reader.read_frames(crops), strict=True)
    # Text the two readers read differently: the second reader once more, on the line as
    # Tesseract is given it (glare flattened and stretched), and a third recognizer; a batch each.
    differing = [
        i
        for i, ((key, line), second) in enumerate(zip(unsure, seconds, strict=True))
        if key in _AGREEABLE and not _same_text(second.text, line.text)
    ]
    flattened = reader.read([_flattened_crop(gray, unsure[i][1]) for i in differing])
    thirds = third_reader(config).read([crops[i] for i in differing])
    others = {i: (f.text, t.text) for i, f, t in zip(differing, flattened, thirds, strict=True)}
    for i, ((key, line), second) in enumerate(zip(unsure, seconds, strict=True)):
        agreed = _agreement(gray, line, second.text, *others[i]) if i in others else None
        readings = (line.text, second.text, *others.get(i, ()))
        if agreed is not None and not _same_value(key, line, agreed, readings, reparse):
            agreed = None
        if agreed is not None:
            # Two recognizers, one of them reading again, say the same: as when the first two had.
            line.text, line.confidence = agreed, max(line.confidence, FREE_TEXT_FLOOR)
            parsed = reparse()
            continue
        if key == "birth":
            parsed, split = _weigh_birth(parsed, line, second.text, second.confidence, reparse)
            disputed |= split
            continue
        if i in sure_but_failing and second.confidence < SURE_ALONE:
            continue  # a sure reading that fails its check: only a sure second reading may replace it
        parsed = _weigh(parsed, key, line, second.text, second.confidence, reparse)
        if any(check["code"] == f"{key}_readers_disagree" for check in parsed.checks):
            disputed.add(key)
    for (key, line), line_frames in zip(unsure, frames, strict=True):
        if key in _LISTED and key not in disputed and not parsed.fields.get(key):
            found = entry_of(line_frames, reader.alphabet, _LISTED[key])
            if found is not None:
                line.text, line.confidence = found
                parsed = reparse()
    return parsed, disputed


# Closed lists a line that neither reader's text gives a value of may still be read as (the
# second reader's character probabilities, `lexicon.entry_of`): lines printing the value alone.
_LISTED = {
    "nationality": ("WNI", "WNA"),
    "religion": RELIGIONS,
    "marital_status": MARITAL,
    "gender": tuple(GENDERS),
}


# Tesseract's readings of a soft line swing with the scale: where its first reading and the
# second reader's differ, it reads the line again at these zooms.
_AGAIN_ZOOMS = (1.5, 2.0)
# Below this Tesseract is guessing: on the tuning photos its agreeing re-reads of right values
# came at 0.40-0.87, the one agreeing on a misreading (KEDUNGWUM for KEDUNGWUNI) at 0.17.
_AGAIN_FLOOR = 0.35


def _agreement(gray: np.ndarray, line: Line, second: str, again: str, third: str) -> str | None:
    """What two recognizers read the line as, where Tesseract (line.text) and the second
    reader (second) differ: the second reader again on the flattened crop (again), a third
    recognizer (third; it drops the spaces of Latin print, so its letters and digits agreeing
    with the second reader's are agreement on the second's reading: on hard tuning-style
    photos 13 such lines, all right), Tesseract again at other scales. None: no two agree, or
    two say one thing and two another (the second reader on both crops against Tesseract and
    the third recognizer: BITUNG read twice against BTUNG twice is a tie, no agreement)."""
    first = line.text
    if "".join(_tokens(first)) == "".join(_tokens(second)):
        # The same letters and digits spaced apart otherwise (HALMAHERA TENGAH, HALMAHERATENGAH):
        # the two readers that see spaces dispute the spacing; the second reader's other look
        # at the line siding with Tesseract settles it, the third recognizer (no spaces) cannot.
        return first if _same_text(again, first) else None
    if _same_text(second, again) and _same_text(third, first):
        return None
    if _same_text(again, first) or _same_text(third, first):
        return first
    if _same_text(third, second):
        return second  # its spacing: PP-OCRv4 rec runs the words of Latin print together
    if _same_text(third, again):
        return again
    if _tokens(second) and "".join(_tokens(third)) == "".join(_tokens(second)):
        return second  # PP-OCRv4 rec drops spaces in Latin print (EKOWIBOWO): the second's are kept
    return second if _tesseract_agrees(gray, line, second) else None


def _value_of(key: str, line: Line, text: str, reparse: Callable[[], Parsed]) -> str:
    """The letters and digits of the fields the line gives when it reads `text`."""
    first = line.text, line.confidence
    line.text, line.confidence = text, 1.0
    trial = reparse()
    line.text, line.confidence = first
    return "|".join(re.sub(r"[^A-Z0-9]", "", trial.fields.get(name) or "") for name in disputed_fields(key))


def _same_value(
    key: str, line: Line, agreed: str, readings: tuple[str, ...], reparse: Callable[[], Parsed]
) -> bool:
    """Whether a reading agreeing with `agreed` gives the same value (marks aside): the field's
    clean-up reads some marks as letters (`GUNUNGSARI!` is GUNUNGSARII in a word, the `!` a
    final I misread), which the agreement of letter runs passes over."""
    partners = [text for text in readings if text != agreed and _same_text(text, agreed)]
    if not partners:
        return True  # the agreeing reading is not at hand (Tesseract's re-read at another scale)
    value = _value_of(key, line, agreed, reparse)
    return any(_value_of(key, line, text, reparse) == value for text in partners)


def _plain_crop(gray: np.ndarray, line: Line) -> np.ndarray:
    """The line's box with a margin, as photographed; wider to the right than Tesseract's
    crops: DBNet's box can end inside a thin last letter (WNI's I)."""
    height = line.y1 - line.y0
    top, left = max(0, int(line.y0 - 0.12 * height)), max(0, int(line.x0 - 0.25 * height))
    return gray[top : int(np.ceil(line.y1 + 0.12 * height)), left : int(np.ceil(line.x1 + 0.5 * height))]


def _flattened_crop(gray: np.ndarray, line: Line) -> np.ndarray:
    """The line as Tesseract reads it (glare flattened, stretched, padded), as wide as the plain crop."""
    return crop_line(gray, line.x0, line.y0, line.x1 + 0.5 * line.height, line.y1)


def _tesseract_agrees(gray: np.ndarray, line: Line, text: str) -> bool:
    """Whether Tesseract reads `text` (the second reader's) off the line at another scale."""
    if not _tokens(text):
        return False
    reader = line_reader()
    for zoom in _AGAIN_ZOOMS:
        again = reader.read(crop_line(gray, line.x0, line.y0, line.x1, line.y1, zoom))
        if again.confidence >= _AGAIN_FLOOR and _same_text(again.text, text):
            return True
    return False


def _weigh_birth(
    parsed: Parsed, line: Line, text: str, confidence: float, reparse: Callable[[], Parsed]
) -> tuple[Parsed, set[str]]:
    """The birth line read by the second reader: its place and its date weighed each on its own.

    The second reading is taken when it gives the first's date, or a date where the first
    gave none, or (neither giving a date) a place where the first gave none. Two dates that
    differ give the one the NIK encodes when exactly one does (the date's own check, as a
    vocabulary is a word's), else no date; two places that differ give no place, whatever
    the dates, and a place only the second reading gives is taken only when it is as sure as
    free text read alone must be (UNSURE_TEXT). The line keeps the reading taken, so a later
    re-parse reads it again.
    """
    first = line.text, line.confidence
    line.text, line.confidence = text, confidence
    trial = reparse()
    line.text, line.confidence = first
    place, date = (parsed.fields.get(name) for name in _BIRTH_PARTS)
    place_2, date_2 = (trial.fields.get(name) for name in _BIRTH_PARTS)
    disputed: set[str] = set()
    take_second = bool(date_2) and (not date or date_2 == date)
    if date and date_2 and date != date_2:
        nik = "" if _values(parsed, "nik") is None else parsed.fields["nik"]
        encoded = [d for d in (date, date_2) if nik and not nik_disagreements(nik, d, None)]
        if len(encoded) == 1:
            take_second = encoded[0] == date_2
        else:
            disputed.add("birth_date")
    if not date and not date_2:
        take_second = bool(place_2) and not place
    if place_2 and place != place_2 and (place or confidence < UNSURE_TEXT):
        # Two places, or one from the second reader alone that it is unsure of: the place is
        # free text, which one unsure reading does not give (PALANGKA AAIA at 0.91).
        disputed.add("birth_place")
    if take_second:
        line.text, line.confidence = text, confidence
        parsed = trial
    return settle_disputes(parsed, disputed), disputed


_NIK_MISMATCH = {"birth_date": "nik_birth_date_mismatch", "gender": "nik_gender_mismatch"}


def settle_disputes(parsed: Parsed, disputed: set[str]) -> Parsed:
    """Disputed fields stay out whatever a later re-parse read: a third reading is no tie-break.

    With them go the NIK's checks on them: an absent date or gender contradicts nothing.
    """
    for key in sorted(disputed):
        for name in disputed_fields(key):
            parsed.fields.pop(name, None)
            parsed.confidence.pop(name, None)
            mismatch = _NIK_MISMATCH.get(name)
            parsed.checks = [check for check in parsed.checks if check["code"] != mismatch]
        if not any(check["code"] == f"{key}_readers_disagree" for check in parsed.checks):
            parsed.flag(f"{key}_readers_disagree", "the two recognizers read this line differently")
    return parsed


def _weigh(
    parsed: Parsed, key: str, line: Line, text: str, confidence: float, reparse: Callable[[], Parsed]
) -> Parsed:
    first = line.text, line.confidence
    if key in _FREE_TEXT:
        if _same_text(text, first[0]) and _same_value(key, line, first[0], (text,), reparse):
            if first[1] >= FREE_TEXT_FLOOR:
                return parsed
            line.confidence = FREE_TEXT_FLOOR  # two readers agree: as sure as free text needs
            return reparse()
        parsed.fields.pop(key, None)  # two readings of unsure free text that differ: neither
        parsed.confidence.pop(key, None)
        parsed.flag(f"{key}_readers_disagree", "the two recognizers read this line differently")
        return parsed
    before = _values(parsed, key)
    line.text, line.confidence = text, confidence
    trial = reparse()
    after = _values(trial, key)
    if after is not None and (before is None or after == before):
        return trial  # exactly the second passes, or both agree
    line.text, line.confidence = first
    if before is not None and after is not None:  # both pass and disagree: neither is taken
        wanted, _ = _KEY_FIELDS[key]
        for name in wanted:
            parsed.fields.pop(name, None)
            parsed.confidence.pop(name, None)
        parsed.flag(f"{key}_readers_disagree", "the two recognizers read this line differently")
    return parsed
