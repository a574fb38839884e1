"""What a client may show its applicant: a message per reason code and per retake hint,
in Bahasa Indonesia (the default) or English, chosen by `Accept-Language`.

These are not the scorer's reviewer-facing texts (kept in `Document.reasons`) and never a
reviewer's own words: only the fixed sentences below reach a client.
"""

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

REASON_MESSAGES: dict[str, tuple[str, str]] = {
    # code: (Bahasa Indonesia, English)
    "card_unreadable": ("Foto tidak dapat dibaca sebagai kartu.", "The photo could not be read as a card."),
    "doc_type_mismatch": (
        "Jenis kartu tidak sesuai dengan yang dipilih.",
        "The card is not the type chosen.",
    ),
    "duplicate_identity": (
        "Identitas ini sudah terdaftar di akun lain.",
        "This identity is already registered to another account.",
    ),
    "required_fields_missing": (
        "Beberapa data penting pada kartu tidak terbaca.",
        "Some key details on the card could not be read.",
    ),
    "low_ocr_confidence": ("Tulisan pada kartu kurang jelas.", "The text on the card is not clear enough."),
    "nik_invalid": ("NIK pada kartu tidak valid.", "The NIK on the card is not valid."),
    "nik_inconsistent": (
        "NIK tidak sesuai dengan tanggal lahir atau jenis kelamin pada kartu.",
        "The NIK does not agree with the birth date or gender on the card.",
    ),
    "nik_consistent": ("NIK valid.", "The NIK is valid."),
    "npwp_invalid": ("Nomor NPWP tidak valid.", "The NPWP number is not valid."),
    "no_ktp_on_file": ("Unggah KTP terlebih dahulu.", "Please upload your KTP first."),
    "npwp_name_mismatch": (
        "Nama pada NPWP berbeda dengan KTP.",
        "The name on the NPWP differs from the KTP.",
    ),
    "npwp_nik_mismatch": ("NIK pada NPWP berbeda dengan KTP.", "The NIK on the NPWP differs from the KTP."),
    "npwp_matches_ktp": ("NPWP sesuai dengan KTP.", "The NPWP matches the KTP."),
    "profile_missing": ("Data diri belum lengkap.", "Your personal details are incomplete."),
    "name_matches": ("Nama sesuai.", "The name matches."),
    "name_similar": ("Nama mirip, tetapi tidak sama persis.", "The name is similar but not identical."),
    "name_mismatch": (
        "Nama pada kartu tidak sesuai dengan data diri.",
        "The name on the card does not match.",
    ),
    "birth_date_mismatch": (
        "Tanggal lahir pada kartu tidak sesuai dengan data diri.",
        "The birth date on the card does not match.",
    ),
    "nik_profile_mismatch": (
        "NIK pada kartu tidak sesuai dengan data diri.",
        "The NIK on the card does not match your details.",
    ),
    "image_blurry": ("Foto buram.", "The photo is blurry."),
    "image_glare": ("Ada pantulan cahaya pada kartu.", "There is glare on the card."),
    "image_low_resolution": ("Kartu terlalu kecil di dalam foto.", "The card is too small in the photo."),
}
GENERIC_REASON = ("Ada masalah dengan dokumen ini.", "There is a problem with this document.")

RETAKE_HINTS: dict[str, tuple[str, str]] = {
    "glare": (
        "Foto ulang kartu tanpa pantulan cahaya, terutama di atas NIK.",
        "Retake the photo without glare, especially over the NIK.",
    ),
    "card_cut_off": (
        "Foto ulang dengan seluruh kartu terlihat, keempat sudutnya di dalam foto.",
        "Retake the photo with the whole card in view, all four corners inside.",
    ),
    "blurred": (
        "Foto ulang dengan kamera diam dan fokus pada kartu.",
        "Retake the photo holding the camera still, focused on the card.",
    ),
    "too_dark": ("Foto ulang di tempat yang lebih terang.", "Retake the photo in better light."),
    "too_small": (
        "Foto ulang lebih dekat agar kartu memenuhi foto.",
        "Retake the photo closer, so the card fills the frame.",
    ),
    "wrong_document": (
        "Unggah foto kartu yang diminta (KTP atau NPWP asli).",
        "Upload a photo of the card asked for (the original KTP or NPWP).",
    ),
    "other": ("Unggah ulang foto kartu yang lebih jelas.", "Upload a clearer photo of the card."),
}

# Failure reasons of the pipeline, for a `failed` document.
FAILED_MESSAGE = (
    "Dokumen tidak dapat diproses. Silakan unggah ulang.",
    "The document could not be processed. Please upload it again.",
)


def language_from_header(header: str | None) -> str:
    """The best of `LANGUAGES` for an Accept-Language header (q-values honoured); `id` by default."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[LANGUAGES.index(language)] if language in LANGUAGES else pair[0]


def reason_message(code: str, language: str) -> str:
    return _pick(REASON_MESSAGES.get(code, GENERIC_REASON), language)


def retake_message(hint: str, language: str) -> str:
    return _pick(RETAKE_HINTS.get(hint, RETAKE_HINTS["other"]), language)


def failed_message(language: str) -> str:
    return _pick(FAILED_MESSAGE, language)
