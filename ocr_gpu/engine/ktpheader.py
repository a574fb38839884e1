"""The KTP's header: `PROVINSI <NAME>` and the regency or city under it, checked against the NIK.

Both names come from complete lists (idnumbers.regions). A reading is corrected to a name
only when that name is the one clearly nearest (vocab.closest); the NIK's first four
digits, which name the regency that issued it, then confirm the header or choose between
the names a reading is equally near to. When NIK and header disagree both are kept as
read and a check says so: people move, so it is a signal for review, not an error.
"""

from idnumbers.nik import decode_nik
from idnumbers.regions import printed_provinces, printed_regencies
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.layout import Row, clean_value, letters
from ocr_gpu.engine.vocab import closest, within

_PROVINCE_WORDS = ("PROVINSI", "PROPINSI")
_UNSURE = 0.5  # confidence factor of a header kept as read, matching no name


def read_header(parsed: Parsed, header: list[Row]) -> None:
    """Province from the PROVINSI row; the regency from the first row after it."""
    for row in header:
        text = clean_value(row.text.replace(":", " "))
        head, _, rest = text.partition(" ")
        if "province" not in parsed.pending and closest(letters(head), _PROVINCE_WORDS, 0.3):
            parsed.pending["province"] = (clean_value(rest), row.confidence)
        elif "province" in parsed.pending and "city" not in parsed.pending and letters(text):
            parsed.pending["city"] = (text, row.confidence)


def resolve_header(parsed: Parsed) -> None:
    """Put the header's fields, after the NIK (read before this) had its say."""
    facts = decode_nik(parsed.fields.get("nik", ""))
    issued = facts.issuing_regency() if facts else None
    if "province" in parsed.pending:
        text, confidence = parsed.pending["province"]
        names = printed_provinces()
        name = closest(text, names, 0.25)
        if name is None and facts:
            name = _the_one(within(text, names, 0.25), lambda n: names[n] == facts.province)
        parsed.put("province", name, confidence)
        if name and facts and names[name] != facts.province:
            parsed.flag("nik_region_mismatch", "the NIK's province code differs from the printed province")
    if "city" in parsed.pending:
        text, confidence = parsed.pending["city"]
        names = printed_regencies()
        name = closest(text, names, 0.2)
        if name is None and issued:
            name = _the_one(within(text, names, 0.2), lambda n: issued.code in names[n])
        parsed.put("city", name, confidence)
        if name and issued and issued.code not in names[name]:
            parsed.flag(
                "nik_regency_mismatch",
                f"the NIK was issued in {issued.printed}; the card prints another regency or city",
            )


def _the_one(options: list[str], agrees) -> str | None:
    chosen = [option for option in options if agrees(option)]
    return chosen[0] if len(chosen) == 1 else None
