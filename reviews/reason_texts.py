"""Words for reviewers, translated: the scorer's reasons by code, and the preset reason
codes a reviewer picks when deciding (stored with the decision as `code: note`)."""

from collections.abc import Mapping

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The scorer's reasons (kyc.scoring codes); a code not listed shows its stored message.
SCORING_REASONS = {
    "card_unreadable": _("The image could not be read as a card."),
    "doc_type_mismatch": _("The card is of another type than the one uploaded."),
    "required_fields_missing": _("Required fields could not be read."),
    "low_ocr_confidence": _("Key fields were read with low confidence."),
    "nik_invalid": _("The NIK on the card is not a valid NIK (region code or encoded birth date)."),
    "nik_inconsistent": _("The NIK does not agree with the birth date or sex printed on the card."),
    "nik_consistent": _("The NIK is valid and agrees with the birth date and sex on the card."),
    "ktp_expired": _("The KTP's validity has ended."),
    "profile_missing": _("The applicant has not filled in their profile."),
    "name_matches": _("The name on the card matches the profile."),
    "name_similar": _("The name on the card is close to, but not the same as, the profile's."),
    "name_mismatch": _("The name on the card does not match the profile."),
    "birth_date_mismatch": _("The birth date on the card differs from the profile's."),
    "nik_profile_mismatch": _("The NIK on the card differs from the declared NIK."),
    "duplicate_identity": _("This NIK already belongs to another verified account."),
    "image_blurry": _("The photo is blurry."),
    "image_glare": _("Glare covers part of the card."),
    "image_low_resolution": _("The card is small in the photo."),
    "npwp_invalid": _("The NPWP number is not valid."),
    "no_ktp_on_file": _("There is no KTP on file to check this NPWP against."),
    "npwp_name_mismatch": _("The name on the NPWP differs from the KTP."),
    "npwp_nik_mismatch": _("The NIK on the NPWP differs from the KTP's NIK."),
    "npwp_matches_ktp": _("The NPWP agrees with the applicant's KTP."),
}

# The OCR engine's own checks on a card (ocr_gpu.engine, `checks` of a reading) by code.
ENGINE_CHECKS = {
    "nik_unreadable": _("The NIK does not read as 16 digits."),
    "nik_invalid": _("The NIK is not a well-formed NIK (region, date or serial)."),
    "nik_birth_date_mismatch": _("The NIK encodes another birth date than the card prints."),
    "nik_gender_mismatch": _("The NIK encodes another sex than the card prints."),
    "nik_region_mismatch": _("The NIK's province code differs from the printed province."),
    "nik_regency_mismatch": _("The NIK was issued in another regency than the card prints."),
    "npwp_unreadable": _("The NPWP number does not read as 15 or 16 digits."),
    "npwp_check_digit_invalid": _("The NPWP number fails its check (Luhn digit or NIK form)."),
}
_READERS_DISAGREE = _("The two recognizers read this line differently.")


# What a reviewer may give as the reason of each decision.
DECISION_REASONS = {
    "approve": (
        ("card_genuine_matches", _("Card genuine and matches the applicant")),
        ("ocr_misread_card_ok", _("The OCR misread; the card itself is correct")),
    ),
    "reject": (
        ("different_person", _("The card belongs to someone else")),
        ("altered_or_fake", _("The card looks altered or fake")),
        ("card_expired", _("The KTP has expired")),
        ("wrong_document", _("Not the document asked for")),
    ),
    "reupload": (
        ("photo_unreadable", _("Photo blurry, dark or glaring")),
        ("card_cut_off", _("Part of the card is cut off")),
        ("wrong_side", _("Wrong side or wrong card")),
    ),
}


# What happened to a review, for the audit trail (reviews.models.ReviewAction).
REVIEW_ACTIONS = {
    "opened": _("review opened"),
    "claimed": _("review claimed"),
    "released": _("claim released"),
    "forwarded": _("forwarded to BULI2"),
    "forward_failed": _("forwarding to BULI2 failed"),
    "completed": _("review completed"),
    "failed": _("review could not be completed"),
    "reopened": _("review reopened"),
    "nik_revealed": _("full NIK revealed"),
}


# A review's state and a decision, as a reviewer reads them (a document's status: kyc.labels).
REVIEW_STATES = {
    "open": _("open"),
    "claimed": _("claimed"),
    "forwarded": _("forwarded to BULI2"),
    "completed": _("completed"),
    "failed": _("not completed"),
}
DECISIONS = {"approve": _("approve"), "reject": _("reject")}


def review_state(state: str) -> str:
    text = REVIEW_STATES.get(state)
    return str(text) if text is not None else state


def decision_label(decision: str) -> str:
    text = DECISIONS.get(decision)
    return str(text) if text is not None else decision


def reason_text(reason: Mapping) -> str:
    """A scoring reason in the reviewer's language (its stored message as the fallback)."""
    text = SCORING_REASONS.get(str(reason.get("code", "")))
    return str(text) if text is not None else str(reason.get("message", ""))


def check_text(check: Mapping) -> str:
    """One of the engine's checks in the reviewer's language (its message as the fallback)."""
    code = str(check.get("code", ""))
    text = ENGINE_CHECKS.get(code) or (_READERS_DISAGREE if code.endswith("_readers_disagree") else None)
    return str(text) if text is not None else str(check.get("message", ""))


def decision_reason(*, action: str, code: str, note: str) -> str:
    """The reason stored with a decision: the preset code, then the reviewer's note."""
    known = dict(DECISION_REASONS.get(action, ()))
    if code not in known:
        raise ValueError(gettext("Choose one of the reasons offered."))
    note = " ".join((note or "").split())
    return f"{code}: {note}" if note else code
