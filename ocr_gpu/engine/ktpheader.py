"""The KTP's header: `PROVINSI <NAME>` and the regency or city under it, checked against the NIK.

Both names come from complete lists (idnumbers.regions). A reading is corrected to a name
only when that name is the one clearly nearest (vocab.closest); the NIK's first four
digits, which name the regency that issued it, then confirm the header or choose between
the names a reading is equally near to. When NIK and header disagree both are kept as
read and a check says so: people move, so it is a signal for review, not an error.
"""

from collections.abc import Callable

from idnumbers.nik import decode_nik
from idnumbers.regions import printed_provinces, printed_regencies
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.layout import Row, clean_value, letters
from ocr_gpu.engine.vocab import MARGIN, budget, closest, edit_distance, near, within

# Two spellings of one word: a reading near both is near the word, not torn between them.
_PROVINCE_WORDS = ("PROVINSI", "PROPINSI")
_REGENCY_KINDS = ("KABUPATEN", "KOTA")


def _is_province_word(word: str) -> bool:
    word = letters(word)
    return bool(word) and min(edit_distance(word, s) for s in _PROVINCE_WORDS) <= budget(word, 0.3)


def _names_a_regency(text: str) -> bool:
    """A header row that reads as a regency line by itself: KABUPATEN/KOTA first, or a listed name."""
    head = letters(text.partition(" ")[0])
    return bool(closest(head, _REGENCY_KINDS, 0.25)) or regency_name(text) is not None


def names_a_region(text: str) -> bool:
    """A row that reads as a header line: the PROVINSI row or a regency line."""
    text = clean_value(text.replace(":", " "))
    return _is_province_word(text.partition(" ")[0]) or _names_a_regency(text)


def read_header(parsed: Parsed, header: list[Row]) -> None:
    """Province from the PROVINSI row; the regency from the row after it.

    A PROVINSI word too soft to read does not cost the regency: a row that names a regency by
    itself (KABUPATEN/KOTA first, or a listed name) is the regency line.
    """
    for row in header:
        text = clean_value(row.text.replace(":", " "))
        head, _, rest = text.partition(" ")
        if "province" not in parsed.pending and _is_province_word(head):
            parsed.pending["province"] = (clean_value(rest), row.confidence)
        elif (
            "city" not in parsed.pending
            and letters(text)
            and ("province" in parsed.pending or _names_a_regency(text))
        ):
            parsed.pending["city"] = (text, row.confidence)


def regency_name(text: str, issued: str | None = None) -> str | None:
    """The regency or city a header reading names, as printed; `issued`: the NIK's regency code.

    The name clearly nearest the reading, or, when the reading is as near to several, the one
    of them the NIK was issued in. Nothing else: a reading near no name, or near several the
    NIK does not choose between, names no regency.
    """
    names = printed_regencies()
    text = clean_value(text)
    if text in names:
        return text
    # Spellings of one regency (BATANG HARI, BATANGHARI) are one entry: judged by its nearest.
    entries: dict[frozenset[str], tuple[int, str]] = {}
    for distance, name in near(text, names, 0.2):
        entries.setdefault(names[name], (distance, name))
    ranked = sorted(entries.values())
    allowed = budget(text, 0.2)
    if not ranked or ranked[0][0] > allowed:
        return None
    if len(ranked) == 1 or (ranked[1][0] > allowed and ranked[1][0] >= ranked[0][0] + MARGIN):
        return ranked[0][1]
    if not issued:
        return None
    return _the_one([name for distance, name in ranked if distance <= allowed], lambda n: issued in names[n])


def province_name(text: str, issued: str | None = None) -> str | None:
    """The province a `PROVINSI ...` reading names, as printed; `issued`: the NIK's province code."""
    names = printed_provinces()
    text = clean_value(text)
    return closest(text, names, 0.25) or (
        _the_one(within(text, names, 0.25), lambda n: names[n] == issued) if issued else None
    )


def resolve_header(parsed: Parsed) -> None:
    """Put the header's fields, after the NIK (read before this) had its say."""
    facts = decode_nik(parsed.fields.get("nik", ""))
    issued = facts.issuing_regency() if facts else None
    if "province" in parsed.pending:
        text, confidence = parsed.pending["province"]
        name = province_name(text, facts.province if facts else None)
        parsed.put("province", name, confidence)
        if name and facts and printed_provinces()[name] != facts.province:
            parsed.flag("nik_region_mismatch", "the NIK's province code differs from the printed province")
    if "city" in parsed.pending:
        text, confidence = parsed.pending["city"]
        name = regency_name(text, facts.regency_code if facts else None)
        parsed.put("city", name, confidence)
        if name and facts and facts.regency_code not in printed_regencies()[name]:
            where = issued.printed if issued else f"regency {facts.regency_code}"
            parsed.flag("nik_regency_mismatch", f"the NIK was issued in {where}; the card prints another")


def _the_one(options: list[str], agrees: Callable[[str], bool]) -> str | None:
    chosen = [option for option in options if agrees(option)]
    return chosen[0] if len(chosen) == 1 else None
