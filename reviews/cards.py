"""What the case page shows of one card: each field in card order, with the crop of the
flattened card it was read from, the raw reading, the value, its confidence and the
check or correction that applied. Pure: readings in, rows out (no database, no I/O).

Judgements use the scorer's own rules (`kyc.scoring`): its confidence cut-off, its name
comparison and thresholds, its NIK and NPWP checks, so the page never disagrees with
the score it explains.
"""

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyc import scoring
from kyc.crypto import mask_nik

# The card's own printed labels, in card order (their Indonesian translations are the
# labels as printed; English names what they mean).
KTP_FIELDS = (
    ("province", gettext_lazy("Province")),
    ("city", gettext_lazy("Regency/City")),
    ("nik", gettext_lazy("NIK")),
    ("name", gettext_lazy("Name")),
    ("birth_place", gettext_lazy("Place of birth")),
    ("birth_date", gettext_lazy("Date of birth")),
    ("gender", gettext_lazy("Sex")),
    ("blood_type", gettext_lazy("Blood type")),
    ("address", gettext_lazy("Address")),
    ("rt_rw", gettext_lazy("RT/RW")),
    ("village", gettext_lazy("Village")),
    ("district", gettext_lazy("District")),
    ("religion", gettext_lazy("Religion")),
    ("marital_status", gettext_lazy("Marital status")),
    ("occupation", gettext_lazy("Occupation")),
    ("nationality", gettext_lazy("Nationality")),
    ("valid_until", gettext_lazy("Valid until")),
)
NPWP_FIELDS = (
    ("npwp", gettext_lazy("NPWP")),
    ("name", gettext_lazy("Name")),
    ("nik", gettext_lazy("NIK")),
    ("address", gettext_lazy("Address")),
    ("kpp", gettext_lazy("Tax office (KPP)")),
    ("registered_date", gettext_lazy("Registered on")),
)
MASKED = frozenset({"nik", "npwp"})
CARD_W, CARD_H = 1000, 630  # the engine's flattened card frame, which the line boxes are in
CROP_WIDTH = 300  # px on the page
_DIGIT_RUN = re.compile(r"\d[\d.\-]{9,}\d")
_PRINTED = {"MALE": "LAKI-LAKI", "FEMALE": "PEREMPUAN"}


def field_rows(
    *, doc_type: str, fields: Mapping, confidence: Mapping, lines: list[dict], reasons: set[str]
) -> list[dict]:
    """One row per field the card type prints, in card order; unread fields say so.

    `reasons` are the codes the scorer gave the document: the checks shown are its own."""
    order = NPWP_FIELDS if doc_type == scoring.NPWP else KTP_FIELDS
    rows = []
    for name, label in order:
        value = str(fields.get(name, "") or "")
        line = _source_line(name, value, lines) if value else None
        conf = confidence.get(name)
        rows.append(
            {
                "name": name,
                "label": label,
                "value": mask_nik(value) if name in MASKED and value else value,
                "raw": _mask_numbers(line["text"]) if line else "",
                "confidence": conf,
                "low": conf is not None and float(conf) < scoring.MIN_FIELD_CONFIDENCE,
                "crop": _crop(line, lines) if line else None,
                "check": _check(name, value, line, reasons),
            }
        )
    return rows


def name_verdict(left: str, right: str) -> dict[str, Any]:
    """The scorer's name comparison: match, similar or mismatch (None when a side is empty)."""
    if not (left and right):
        return {"verdict": None, "similarity": None}
    similarity = scoring.name_similarity(left, right)
    if similarity >= scoring.NAME_MATCH:
        verdict = "match"
    elif similarity >= scoring.NAME_SIMILARITY:
        verdict = "similar"
    else:
        verdict = "mismatch"
    return {"verdict": verdict, "similarity": round(similarity * 100)}


def npwp_facts(*, fields: Mapping, ktp_fields: Mapping | None, reasons: set[str]) -> dict[str, Any]:
    """The NPWP page's own checks: the number and its format, NPWP16 = NIK, name vs the KTP."""
    number = str(fields.get("npwp", "") or "")
    valid = "npwp_invalid" not in reasons
    if len(number) == 15 and number.isdigit():
        masked = mask_nik(number)  # the format shows, the middle digits stay hidden
        shown = f"{masked[:2]}.{masked[2:5]}.{masked[5:8]}.{masked[8]}-{masked[9:12]}.{masked[12:]}"
        form = _("NPWP15 (old format)")
    elif len(number) == 16 and number.isdigit():
        shown, form = mask_nik(number), _("NPWP16 (the holder's NIK)")
    else:
        shown, form = number, _("neither 15 nor 16 digits")
    card_nik = scoring.card_nik(fields)
    ktp_nik = str((ktp_fields or {}).get("nik", "") or "")
    return {
        "number": shown,
        "format": form,
        "valid": valid if number else None,
        "nik_vs_ktp": None if not (card_nik and ktp_nik) else card_nik == ktp_nik,
        "ktp_on_file": ktp_fields is not None,
        "name": name_verdict(
            str(fields.get("name", "") or ""), str((ktp_fields or {}).get("name", "") or "")
        ),
    }


# --- where a value was read ---------------------------------------------------------
def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9/]+", " ", text.upper()).split())


def _printed(name: str, value: str) -> str:
    """The value as the card prints it (dates day first, sex in Indonesian)."""
    if name in ("birth_date", "registered_date", "valid_until"):
        try:
            return dt.date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    return _PRINTED.get(value, value)


def _source_line(name: str, value: str, lines: list[dict]) -> dict | None:
    """The recognized line holding most of the value (None when no line holds enough)."""
    digits = value.isdigit()  # numbers are printed with dots and dashes between groups
    wanted = value if digits else _normal(_printed(name, value))
    best, best_score = None, 0.0
    for line in lines:
        text = str(line.get("text", ""))
        text = re.sub(r"\D", "", text) if digits else _normal(text)
        if not text or not wanted:
            continue
        if len(wanted) < 4 and not re.search(rf"(?<![A-Z0-9]){re.escape(wanted)}(?![A-Z0-9])", text):
            continue  # a short value ("A", "WNI") counts only as a word of its own
        match = difflib.SequenceMatcher(None, wanted, text, autojunk=False).find_longest_match()
        score = match.size / len(wanted) - 0.001 * len(text)  # shorter lines win ties
        if score > best_score:
            best, best_score = line, score
    return best if best_score >= 0.6 else None


def _crop(line: dict, lines: list[dict]) -> dict | None:
    """The row of the card around the line: its label's box to the left included."""
    try:
        x0, y0, x1, y1 = (float(v) for v in line["box"])
    except (KeyError, TypeError, ValueError):
        return None
    middle, height = (y0 + y1) / 2, max(y1 - y0, 1.0)
    for other in lines:
        box = other.get("box") or []
        if len(box) == 4 and abs((box[1] + box[3]) / 2 - middle) < 0.5 * height and box[2] <= x0 + 4:
            x0, y0, y1 = min(x0, box[0]), min(y0, box[1]), max(y1, box[3])
    x0, y0 = max(0.0, x0 - 6), max(0.0, y0 - 4)
    x1, y1 = min(float(CARD_W), x1 + 6), min(float(CARD_H), y1 + 4)
    scale = min(1.0, CROP_WIDTH / max(x1 - x0, 1.0))
    return {
        "width": round((x1 - x0) * scale),
        "height": round((y1 - y0) * scale),
        "x": round(-x0 * scale),
        "y": round(-y0 * scale),
        "card_width": round(CARD_W * scale),
        "card_height": round(CARD_H * scale),
    }


def _mask_numbers(text: str) -> str:
    return _DIGIT_RUN.sub(lambda found: mask_nik(re.sub(r"\D", "", found.group())), text)


# --- the check or correction that applied ------------------------------------------
def _check(name: str, value: str, line: dict | None, reasons: set[str]) -> dict | None:
    if not value:
        return {"ok": False, "text": _("not read")}
    if name == "nik":
        return _nik_check(value, line, reasons)
    if name == "npwp":
        valid = "npwp_invalid" not in reasons
        return {"ok": valid, "text": _("number valid") if valid else _("number invalid")}
    if name == "valid_until" and value != "SEUMUR HIDUP":
        expired = "ktp_expired" in reasons
        return {"ok": not expired, "text": _("expired") if expired else _("still valid")}
    return None


def _nik_check(nik: str, line: dict | None, reasons: set[str]) -> dict | None:
    parts = []
    raw = re.sub(r"\D", "", str(line.get("text", ""))) if line else ""
    if len(raw) == 17 and raw[0] == "1":
        raw = raw[1:]  # the colon before the NIK read as a 1
    if len(raw) == len(nik) == 16 and raw != nik:
        changed = [f"{a}→{b}" for a, b in zip(raw, nik, strict=True) if a != b]
        parts.append(_("NIK digit %(change)s repaired") % {"change": ", ".join(changed)})
    if "nik_invalid" in reasons:
        return {"ok": False, "text": ", ".join([*parts, _("structure invalid (region or birth date)")])}
    if "nik_inconsistent" in reasons:
        return {"ok": False, "text": ", ".join([*parts, _("disagrees with the printed birth date or sex")])}
    if "nik_consistent" in reasons:
        return {
            "ok": True,
            "text": ", ".join([*parts, _("structure valid, agrees with the birth date and sex")]),
        }
    if "npwp_nik_mismatch" in reasons:
        return {"ok": False, "text": ", ".join([*parts, _("differs from the KTP's NIK")])}
    return {"ok": True, "text": ", ".join(parts)} if parts else None
