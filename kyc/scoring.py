"""Score what the OCR read off a card, and decide. Pure functions: no database, no I/O.

A score starts at 100; each signal that finds a problem takes points off, and every
signal that ran leaves a reason (a stable `code`, its `effect` on the score, and a
sentence a reviewer or the applicant can read), so each decision explains itself.
Reasons with effect 0 record what was checked and held.

The decision: above `approve_above` → auto_approved, below `reject_below` →
auto_rejected, anything between (both edges included) → needs_review.
"""

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from idnumbers.nik import decode_nik, nik_disagreements
from idnumbers.npwp import is_valid_npwp, is_valid_npwp15

KTP, NPWP, UNKNOWN = "KTP", "NPWP", "UNKNOWN"
REQUIRED_FIELDS = {
    KTP: ("nik", "name", "birth_date", "gender", "address"),
    NPWP: ("npwp", "name"),
}
KEY_FIELDS = {KTP: ("nik", "name", "birth_date"), NPWP: ("npwp", "name")}

# Effects, in points off the score. One place to read and tune them.
UNREADABLE = -100
TYPE_MISMATCH = -60
MISSING_FIELD, MISSING_FIELDS_CAP = -12, -36
LOW_CONFIDENCE, LOW_CONFIDENCE_CAP = -8, -24
NIK_INVALID = -35
NIK_INCONSISTENT = -35
PROFILE_MISSING = -20
NAME_SIMILAR = -10
NAME_MISMATCH = -45
BIRTH_DATE_MISMATCH = -25
NIK_PROFILE_MISMATCH = -40
DUPLICATE_IDENTITY = -60
BLURRY, GLARE, LOW_RESOLUTION = -10, -5, -10
NPWP_INVALID = -35
NO_KTP_ON_FILE = -10
NPWP_NAME_MISMATCH = -30
NPWP_NIK_MISMATCH = -35
# Enough to send a card to a human, never to reject it alone: e-KTPs printed with a date
# before the 2013 law are valid for life, so the date is a question, not a verdict.
KTP_EXPIRED = -15

# Thresholds of the signals.
MIN_FIELD_CONFIDENCE = 0.6
NAME_MATCH, NAME_SIMILARITY = 0.9, 0.75
MIN_SHARPNESS, MAX_GLARE, MIN_CARD_WIDTH_PX = 20.0, 0.05, 500.0
# The day a KTP's validity is judged on: Western Indonesia Time, where the cards are issued.
JAKARTA = dt.timezone(dt.timedelta(hours=7), "WIB")


@dataclass(frozen=True)
class Reason:
    code: str
    effect: int
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "effect": self.effect, "message": self.message}


@dataclass(frozen=True)
class Applicant:
    """What the applicant declared in their profile (any part may be empty)."""

    full_name: str = ""
    date_of_birth: dt.date | None = None
    nik: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.full_name or self.date_of_birth or self.nik)


@dataclass(frozen=True)
class Evaluation:
    score: int
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def reasons_as_dicts(self) -> list[dict]:
        return [reason.as_dict() for reason in self.reasons]


def decide(score: int, *, approve_above: int, reject_below: int) -> str:
    if score > approve_above:
        return "auto_approved"
    if score < reject_below:
        return "auto_rejected"
    return "needs_review"


def evaluate(
    *,
    reading: Mapping,
    declared_type: str,
    applicant: Applicant,
    nik_verified_elsewhere: Callable[[str], bool],
    ktp_fields: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> Evaluation:
    """Score one reading (the OCR contract dict: doc_type, fields, confidence, quality, error).

    `nik_verified_elsewhere(nik)` tells whether another account already holds a verified
    card with this NIK. `ktp_fields` are the fields of the same applicant's KTP, for
    checking an NPWP against it (None when they have no KTP on file). `today` (default:
    the date in Jakarta) is the day a KTP's `valid_until` is compared with.
    """
    read_type = reading.get("doc_type") or UNKNOWN
    if reading.get("error") or read_type not in REQUIRED_FIELDS:
        problem = reading.get("error") or "no identity card was recognized in the image"
        return Evaluation(
            0,
            (Reason("card_unreadable", UNREADABLE, f"The image could not be read as a card: {problem}."),),
        )
    fields: Mapping[str, str] = reading.get("fields") or {}
    confidence: Mapping[str, float] = reading.get("confidence") or {}
    reasons: list[Reason] = []
    if read_type != declared_type:
        reasons.append(
            Reason(
                "doc_type_mismatch",
                TYPE_MISMATCH,
                f"The document was uploaded as {declared_type} but the card is a {read_type}.",
            )
        )
    reasons += _field_signals(read_type, fields, confidence)
    if read_type == KTP:
        reasons += _nik_signals(fields)
        reasons += _validity_signals(fields, today or dt.datetime.now(JAKARTA).date())
    else:
        reasons += _npwp_signals(fields, ktp_fields)
    reasons += _profile_signals(read_type, fields, applicant)
    card_nik = _card_nik(read_type, fields)
    if card_nik and nik_verified_elsewhere(card_nik):
        reasons.append(
            Reason(
                "duplicate_identity",
                DUPLICATE_IDENTITY,
                "This NIK already belongs to another verified account.",
            )
        )
    reasons += _quality_signals(reading.get("quality") or {})
    score = max(0, min(100, 100 + sum(reason.effect for reason in reasons)))
    return Evaluation(score, tuple(reasons))


# --- the signals --------------------------------------------------------------------
def _field_signals(doc_type: str, fields: Mapping, confidence: Mapping) -> list[Reason]:
    reasons = []
    missing = [name for name in REQUIRED_FIELDS[doc_type] if not fields.get(name)]
    if missing:
        reasons.append(
            Reason(
                "required_fields_missing",
                max(MISSING_FIELDS_CAP, MISSING_FIELD * len(missing)),
                f"Could not read: {', '.join(missing)}.",
            )
        )
    unsure = [
        name
        for name in KEY_FIELDS[doc_type]
        if fields.get(name) and float(confidence.get(name, 0.0)) < MIN_FIELD_CONFIDENCE
    ]
    if unsure:
        reasons.append(
            Reason(
                "low_ocr_confidence",
                max(LOW_CONFIDENCE_CAP, LOW_CONFIDENCE * len(unsure)),
                f"These fields were read with low confidence: {', '.join(unsure)}.",
            )
        )
    return reasons


def _nik_signals(fields: Mapping) -> list[Reason]:
    nik = fields.get("nik", "")
    if not nik:
        return []  # counted as a missing field
    if len(nik) != 16 or not nik.isdigit() or decode_nik(nik) is None:
        return [
            Reason(
                "nik_invalid",
                NIK_INVALID,
                "The NIK on the card is not a valid NIK (region code or encoded birth date).",
            )
        ]
    problems = nik_disagreements(nik, fields.get("birth_date"), fields.get("gender"))
    if problems:
        what = " and ".join(
            {"nik_birth_date_mismatch": "the birth date", "nik_gender_mismatch": "the gender"}[code]
            for code in problems
        )
        return [
            Reason(
                "nik_inconsistent",
                NIK_INCONSISTENT,
                f"The NIK does not agree with {what} printed on the card.",
            )
        ]
    return [
        Reason("nik_consistent", 0, "The NIK is valid and agrees with the birth date and gender on the card.")
    ]


def _validity_signals(fields: Mapping, today: dt.date) -> list[Reason]:
    """A KTP whose printed `valid_until` date has passed ("SEUMUR HIDUP" never expires)."""
    try:
        valid_until = dt.date.fromisoformat(fields.get("valid_until", ""))
    except ValueError:
        return []  # absent, lifelong, or not a date: nothing to hold against the card
    if valid_until >= today:
        return []
    return [
        Reason(
            "ktp_expired",
            KTP_EXPIRED,
            f"The KTP's validity ended on {valid_until.isoformat()}.",
        )
    ]


def _npwp_signals(fields: Mapping, ktp_fields: Mapping | None) -> list[Reason]:
    reasons = []
    number = fields.get("npwp", "")
    if number:
        if len(number) == 15 and number.isdigit():
            if not is_valid_npwp15(number):
                reasons.append(
                    Reason("npwp_invalid", NPWP_INVALID, "The NPWP number's check digit is wrong.")
                )
        elif len(number) == 16 and number.isdigit():
            # Since 2024 a 16-digit NPWP is the holder's NIK or 0 + the old 15-digit number.
            if not is_valid_npwp(number):
                problem = (
                    "is 0 + a 15-digit NPWP whose check digit is wrong"
                    if number[0] == "0"
                    else "is not a valid NIK"
                )
                reasons.append(Reason("npwp_invalid", NPWP_INVALID, f"The 16-digit NPWP {problem}."))
        else:
            reasons.append(
                Reason("npwp_invalid", NPWP_INVALID, "The NPWP number has neither 15 nor 16 digits.")
            )
    if ktp_fields is None:
        reasons.append(
            Reason("no_ktp_on_file", NO_KTP_ON_FILE, "There is no KTP on file to check this NPWP against.")
        )
        return reasons
    names = name, ktp_name = fields.get("name"), ktp_fields.get("name")
    if name and ktp_name and name_similarity(name, ktp_name) < NAME_SIMILARITY:
        reasons.append(
            Reason("npwp_name_mismatch", NPWP_NAME_MISMATCH, "The name on the NPWP differs from the KTP.")
        )
    niks = _card_nik(NPWP, fields), ktp_fields.get("nik", "")
    if all(niks) and niks[0] != niks[1]:
        reasons.append(
            Reason("npwp_nik_mismatch", NPWP_NIK_MISMATCH, "The NIK on the NPWP differs from the KTP's NIK.")
        )
    compared = all(names) or all(niks)
    if compared and not any(reason.code in ("npwp_name_mismatch", "npwp_nik_mismatch") for reason in reasons):
        reasons.append(Reason("npwp_matches_ktp", 0, "The NPWP agrees with the applicant's KTP."))
    return reasons


def _profile_signals(doc_type: str, fields: Mapping, applicant: Applicant) -> list[Reason]:
    if applicant.is_empty:
        return [
            Reason(
                "profile_missing",
                PROFILE_MISSING,
                "The applicant has not filled in their profile, so the card cannot be matched to it.",
            )
        ]
    reasons = []
    if applicant.full_name and fields.get("name"):
        similarity = name_similarity(applicant.full_name, fields["name"])
        if similarity >= NAME_MATCH:
            reasons.append(Reason("name_matches", 0, "The name on the card matches the profile."))
        elif similarity >= NAME_SIMILARITY:
            reasons.append(
                Reason(
                    "name_similar",
                    NAME_SIMILAR,
                    "The name on the card is close to, but not the same as, the profile's.",
                )
            )
        else:
            reasons.append(
                Reason("name_mismatch", NAME_MISMATCH, "The name on the card does not match the profile.")
            )
    declared_birth = applicant.date_of_birth.isoformat() if applicant.date_of_birth else ""
    if doc_type == KTP and declared_birth and fields.get("birth_date", declared_birth) != declared_birth:
        reasons.append(
            Reason(
                "birth_date_mismatch",
                BIRTH_DATE_MISMATCH,
                "The birth date on the card differs from the profile's.",
            )
        )
    card_nik = _card_nik(doc_type, fields)
    if applicant.nik and card_nik and card_nik != applicant.nik:
        reasons.append(
            Reason(
                "nik_profile_mismatch",
                NIK_PROFILE_MISMATCH,
                "The NIK on the card differs from the declared NIK.",
            )
        )
    return reasons


def _quality_signals(quality: Mapping[str, float]) -> list[Reason]:
    reasons = []
    if "sharpness" in quality and quality["sharpness"] < MIN_SHARPNESS:
        reasons.append(Reason("image_blurry", BLURRY, "The photo is blurry."))
    if quality.get("glare", 0.0) > MAX_GLARE:
        reasons.append(Reason("image_glare", GLARE, "Glare covers part of the card."))
    if "card_width_px" in quality and quality["card_width_px"] < MIN_CARD_WIDTH_PX:
        reasons.append(Reason("image_low_resolution", LOW_RESOLUTION, "The card is small in the photo."))
    return reasons


# --- helpers ------------------------------------------------------------------------
_NOT_LETTERS = re.compile(r"[^A-Z ]+")


def name_similarity(a: str, b: str) -> float:
    """0..1, case, punctuation and spacing ignored ("Siti  Rahma" ~ "SITI RAHMA" = 1.0)."""

    def normal(name: str) -> str:
        return " ".join(_NOT_LETTERS.sub(" ", name.upper()).split())

    left, right = normal(a), normal(b)
    if not left or not right:
        return 0.0
    return difflib.SequenceMatcher(None, left, right).ratio()


def card_nik(fields: Mapping) -> str:
    """The NIK a card of either type states ("" when none)."""
    return _card_nik(NPWP, fields)


def _card_nik(doc_type: str, fields: Mapping) -> str:
    """The NIK a card states: a KTP's NIK; an NPWP's NIK field, or its 16-digit number.

    A 16-digit NPWP that starts with 0 is the old 15-digit number, not a NIK.
    """
    nik = fields.get("nik", "")
    number = fields.get("npwp", "")
    if not nik and doc_type == NPWP and len(number) == 16 and not number.startswith("0"):
        nik = number
    return nik if len(nik) == 16 and nik.isdigit() else ""
