"""kyc.scoring: every signal, the score's arithmetic and the decision's edges.

Scoring is pure, so readings are plain dicts in the OCR contract's shape and nothing is
faked. Every NIK and NPWP number here is synthetic, built with the engine's own helpers."""

import datetime as dt
from collections.abc import Callable, Mapping

import pytest

from idnumbers.nik import make_nik
from idnumbers.npwp import luhn_check_digit
from kyc.scoring import Applicant, Evaluation, Reason, decide, evaluate, name_similarity

# --- synthetic identities -----------------------------------------------------------
BIRTH = dt.date(1990, 8, 17)
NIK = make_nik("3171", 1, BIRTH, female=False, serial=42)  # a man born 17-08-1990
OTHER_NIK = make_nik("3273", 5, dt.date(1985, 3, 2), female=False, serial=7)
NAME = "BUDI SANTOSO"
PROFILE = Applicant(full_name="Budi Santoso", date_of_birth=BIRTH, nik=NIK)
NAME_ONLY = Applicant(full_name="Budi Santoso")  # so only the card's own checks can fire

CLEAN_QUALITY = {"sharpness": 150.0, "glare": 0.0, "brightness": 0.7, "card_width_px": 900.0}
THRESHOLDS = {"approve_above": 85, "reject_below": 35}


def npwp15(payload: str = "09254294", rest: str = "407000") -> str:
    """A 15-digit NPWP with a correct check digit after the 8-digit payload."""
    return payload + luhn_check_digit(payload) + rest


def with_wrong_check_digit(number: str) -> str:
    return number[:8] + str((int(number[8]) + 1) % 10) + number[9:]


def ktp_fields(**overrides: str | None) -> dict[str, str]:
    """A KTP's fields; an override of None removes the field (unread fields are absent)."""
    fields = {
        "nik": NIK,
        "name": NAME,
        "birth_place": "JAKARTA",
        "birth_date": BIRTH.isoformat(),
        "gender": "MALE",
        "address": "JL. MELATI NO. 12",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def npwp_fields(**overrides: str | None) -> dict[str, str]:
    fields = {"npwp": npwp15(), "name": NAME}
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def reading(
    doc_type: str | None = "KTP",
    fields: Mapping[str, str] | None = None,
    *,
    confidence: Mapping[str, float] | None = None,
    quality: Mapping[str, float] | None = None,
    error: str | None = None,
) -> dict:
    if fields is None:
        fields = ktp_fields() if doc_type == "KTP" else npwp_fields()
    return {
        "doc_type": doc_type,
        "fields": dict(fields),
        "confidence": dict(confidence) if confidence is not None else dict.fromkeys(fields, 0.95),
        "quality": dict(quality) if quality is not None else dict(CLEAN_QUALITY),
        "error": error,
    }


def nobody_else(nik: str) -> bool:
    return False


def score(
    card: Mapping,
    *,
    declared_type: str | None = None,
    applicant: Applicant = PROFILE,
    nik_verified_elsewhere: Callable[[str], bool] = nobody_else,
    ktp_on_file: Mapping[str, str] | None = None,
) -> Evaluation:
    return evaluate(
        reading=card,
        declared_type=declared_type or card["doc_type"],
        applicant=applicant,
        nik_verified_elsewhere=nik_verified_elsewhere,
        ktp_fields=ktp_on_file,
    )


def codes(evaluation: Evaluation) -> list[str]:
    return [reason.code for reason in evaluation.reasons]


def the_reason(evaluation: Evaluation, code: str) -> Reason:
    found = [reason for reason in evaluation.reasons if reason.code == code]
    assert len(found) == 1, f"expected one {code!r} among {codes(evaluation)}"
    return found[0]


# --- the two outcomes the pipeline's acceptance tests rely on -----------------------
def test_a_clean_ktp_matching_the_profile_scores_100_and_is_auto_approved() -> None:
    evaluation = score(reading("KTP"))

    assert evaluation.score == 100
    assert codes(evaluation) == ["nik_consistent", "name_matches"]
    assert decide(evaluation.score, **THRESHOLDS) == "auto_approved"


def test_a_ktp_whose_name_contradicts_the_profile_lands_in_needs_review() -> None:
    evaluation = score(reading("KTP", ktp_fields(name="ANDI WIJAYA")))

    assert the_reason(evaluation, "name_mismatch").effect == -45
    assert evaluation.score == 55
    assert decide(evaluation.score, **THRESHOLDS) == "needs_review"


# --- card_unreadable, doc_type_mismatch ---------------------------------------------
@pytest.mark.parametrize(
    ("doc_type", "error", "in_message"),
    [
        ("UNKNOWN", "no card found in the image", "no card found in the image"),
        ("KTP", "image could not be decoded", "image could not be decoded"),
        ("UNKNOWN", None, "no identity card was recognized"),
        (None, None, "no identity card was recognized"),
        ("PASSPORT", None, "no identity card was recognized"),
    ],
)
def test_an_unreadable_card_scores_0_with_one_reason_saying_why(
    doc_type: str | None, error: str | None, in_message: str
) -> None:
    evaluation = score(reading(doc_type, ktp_fields(), error=error), declared_type="KTP")

    assert evaluation.score == 0
    assert codes(evaluation) == ["card_unreadable"]
    assert evaluation.reasons[0].effect == -100
    assert in_message in evaluation.reasons[0].message
    assert decide(evaluation.score, **THRESHOLDS) == "auto_rejected"


def test_an_unreadable_card_is_not_checked_for_duplicates() -> None:
    asked: list[str] = []

    score(reading("UNKNOWN", ktp_fields()), declared_type="KTP", nik_verified_elsewhere=asked.append)

    assert asked == []


@pytest.mark.parametrize(("declared", "read"), [("NPWP", "KTP"), ("KTP", "NPWP")])
def test_a_card_of_another_type_than_declared_costs_60(declared: str, read: str) -> None:
    evaluation = score(reading(read), declared_type=declared, ktp_on_file=ktp_fields())

    reason = the_reason(evaluation, "doc_type_mismatch")
    assert reason.effect == -60
    assert declared in reason.message
    assert read in reason.message


def test_a_card_of_the_declared_type_has_no_type_mismatch() -> None:
    assert "doc_type_mismatch" not in codes(score(reading("KTP"), declared_type="KTP"))


# --- required_fields_missing, low_ocr_confidence ------------------------------------
@pytest.mark.parametrize(
    ("dropped", "effect"),
    [
        (("address",), -12),
        (("address", "gender"), -24),
        (("address", "gender", "birth_date"), -36),
        (("address", "gender", "birth_date", "name"), -36),  # capped
        (("nik", "name", "birth_date", "gender", "address"), -36),  # capped
    ],
)
def test_each_missing_required_field_costs_12_up_to_36(dropped: tuple[str, ...], effect: int) -> None:
    card = reading("KTP", ktp_fields(**dict.fromkeys(dropped)))

    reason = the_reason(score(card), "required_fields_missing")

    assert reason.effect == effect
    for name in dropped:
        assert name in reason.message


def test_a_missing_address_alone_takes_exactly_12_off_the_score() -> None:
    assert score(reading("KTP", ktp_fields(address=None))).score == 88


def test_an_empty_field_counts_as_missing() -> None:
    reason = the_reason(score(reading("KTP", ktp_fields(address=""))), "required_fields_missing")

    assert reason.effect == -12


def test_optional_ktp_fields_are_not_required() -> None:
    card = reading("KTP", ktp_fields(birth_place=None))

    assert "required_fields_missing" not in codes(score(card))


@pytest.mark.parametrize(
    ("doc_type", "dropped", "effect"),
    [("NPWP", ("npwp",), -12), ("NPWP", ("npwp", "name"), -24)],
)
def test_an_npwp_requires_its_number_and_name(doc_type: str, dropped: tuple[str, ...], effect: int) -> None:
    card = reading(doc_type, npwp_fields(**dict.fromkeys(dropped)))

    reason = the_reason(score(card, ktp_on_file=ktp_fields()), "required_fields_missing")

    assert reason.effect == effect


@pytest.mark.parametrize(
    ("unsure", "effect"),
    [
        (("nik",), -8),
        (("nik", "name"), -16),
        # All three key fields reach the cap exactly: a KTP has no fourth key field.
        (("nik", "name", "birth_date"), -24),
    ],
)
def test_each_key_field_read_below_60_percent_confidence_costs_8_up_to_24(
    unsure: tuple[str, ...], effect: int
) -> None:
    confidence = {**dict.fromkeys(ktp_fields(), 0.95), **dict.fromkeys(unsure, 0.59)}

    reason = the_reason(score(reading("KTP", confidence=confidence)), "low_ocr_confidence")

    assert reason.effect == effect
    for name in unsure:
        assert name in reason.message


def test_a_key_field_at_exactly_60_percent_confidence_is_trusted() -> None:
    confidence = {**dict.fromkeys(ktp_fields(), 0.95), "nik": 0.6}

    assert "low_ocr_confidence" not in codes(score(reading("KTP", confidence=confidence)))


def test_low_confidence_on_a_field_that_is_not_key_costs_nothing() -> None:
    confidence = {**dict.fromkeys(ktp_fields(), 0.95), "address": 0.1, "gender": 0.1}

    evaluation = score(reading("KTP", confidence=confidence))

    assert "low_ocr_confidence" not in codes(evaluation)
    assert evaluation.score == 100


def test_a_key_field_without_a_confidence_is_treated_as_unsure() -> None:
    confidence = {key: 0.95 for key in ktp_fields() if key != "name"}

    reason = the_reason(score(reading("KTP", confidence=confidence)), "low_ocr_confidence")

    assert reason.effect == -8
    assert "name" in reason.message


def test_an_absent_key_field_is_missing_not_unsure() -> None:
    card = reading("KTP", ktp_fields(birth_date=None), confidence={"nik": 0.95, "name": 0.95})

    assert "low_ocr_confidence" not in codes(score(card))


def test_an_npwp_number_read_with_low_confidence_is_flagged() -> None:
    card = reading("NPWP", confidence={"npwp": 0.3, "name": 0.9})

    reason = the_reason(score(card, ktp_on_file=ktp_fields()), "low_ocr_confidence")

    assert reason.effect == -8
    assert "npwp" in reason.message


# --- the NIK's own structure and consistency ----------------------------------------
@pytest.mark.parametrize(
    "nik",
    [
        pytest.param(NIK[:15], id="15-digits"),
        pytest.param(NIK + "1", id="17-digits"),
        pytest.param(NIK[:10] + "O0A1" + NIK[14:], id="letters"),
        pytest.param("99" + NIK[2:], id="unknown-province"),
        pytest.param(NIK[:2] + "00" + NIK[4:], id="regency-00"),
        pytest.param(NIK[:4] + "00" + NIK[6:], id="district-00"),
        pytest.param(NIK[:6] + "32" + NIK[8:], id="day-32"),
        pytest.param(NIK[:8] + "13" + NIK[10:], id="month-13"),
        pytest.param(NIK[:12] + "0000", id="serial-0000"),
    ],
)
def test_a_malformed_nik_is_invalid_and_costs_35(nik: str) -> None:
    evaluation = score(reading("KTP", ktp_fields(nik=nik)), applicant=NAME_ONLY)

    assert the_reason(evaluation, "nik_invalid").effect == -35
    assert "nik_consistent" not in codes(evaluation)
    assert "nik_inconsistent" not in codes(evaluation)
    assert evaluation.score == 65


def test_a_missing_nik_is_a_missing_field_not_an_invalid_one() -> None:
    evaluation = score(reading("KTP", ktp_fields(nik=None)), applicant=NAME_ONLY)

    assert "nik_invalid" not in codes(evaluation)
    assert "nik_consistent" not in codes(evaluation)
    assert "nik" in the_reason(evaluation, "required_fields_missing").message


def test_a_womans_nik_carries_her_birth_day_plus_40() -> None:
    # The premise of the gender tests below: 17 + 40.
    assert make_nik("3171", 1, BIRTH, female=True, serial=42)[6:8] == "57"


@pytest.mark.parametrize(
    ("nik", "birth_date", "gender", "what"),
    [
        pytest.param(NIK, "1990-08-18", "MALE", ["the birth date"], id="day"),
        pytest.param(NIK, "1990-09-17", "MALE", ["the birth date"], id="month"),
        pytest.param(NIK, "1991-08-17", "MALE", ["the birth date"], id="year"),
        pytest.param(NIK, BIRTH.isoformat(), "FEMALE", ["the gender"], id="man's-nik-on-a-woman's-card"),
        pytest.param(
            make_nik("3171", 1, BIRTH, female=True, serial=42),
            BIRTH.isoformat(),
            "MALE",
            ["the gender"],
            id="woman's-nik-on-a-man's-card",
        ),
        pytest.param(NIK, "1991-08-17", "FEMALE", ["the birth date", "the gender"], id="both"),
    ],
)
def test_a_nik_that_contradicts_the_card_is_inconsistent_and_costs_35(
    nik: str, birth_date: str, gender: str, what: list[str]
) -> None:
    card = reading("KTP", ktp_fields(nik=nik, birth_date=birth_date, gender=gender))

    evaluation = score(card, applicant=NAME_ONLY)

    reason = the_reason(evaluation, "nik_inconsistent")
    assert reason.effect == -35
    for part in what:
        assert part in reason.message
    assert "nik_consistent" not in codes(evaluation)
    assert evaluation.score == 65


@pytest.mark.parametrize(
    ("birth", "female", "gender"),
    [
        (BIRTH, False, "MALE"),
        (BIRTH, True, "FEMALE"),
        (dt.date(2001, 1, 31), True, "FEMALE"),  # day 71, the largest a woman's NIK holds
        (dt.date(1968, 12, 1), False, "MALE"),
    ],
)
def test_a_nik_that_agrees_with_the_card_is_consistent_at_no_cost(
    birth: dt.date, female: bool, gender: str
) -> None:
    nik = make_nik("3578", 12, birth, female=female, serial=1234)
    card = reading("KTP", ktp_fields(nik=nik, birth_date=birth.isoformat(), gender=gender))

    evaluation = score(card, applicant=NAME_ONLY)

    assert the_reason(evaluation, "nik_consistent").effect == 0
    assert evaluation.score == 100


# --- the card against the profile ---------------------------------------------------
def test_an_empty_profile_costs_20_and_nothing_is_matched() -> None:
    evaluation = score(reading("KTP"), applicant=Applicant())

    assert the_reason(evaluation, "profile_missing").effect == -20
    assert not {"name_matches", "name_similar", "name_mismatch"} & set(codes(evaluation))
    assert evaluation.score == 80
    assert decide(evaluation.score, **THRESHOLDS) == "needs_review"


@pytest.mark.parametrize(
    "applicant",
    [Applicant(full_name="Budi"), Applicant(date_of_birth=BIRTH), Applicant(nik=NIK)],
)
def test_any_one_profile_field_is_enough_to_not_be_missing(applicant: Applicant) -> None:
    assert "profile_missing" not in codes(score(reading("KTP"), applicant=applicant))


@pytest.mark.parametrize(
    ("on_card", "declared"),
    [
        ("BUDI SANTOSO", "Budi Santoso"),
        ("BUDI SANTOSO", "  budi   SANTOSO "),
        ("BUDI SANTOSO", "Budi. Santoso,"),
        ("SITI RAHMA", "Siti  Rahma"),
        ("MUH. RIZKI", "Muh Rizki"),
        ("NUR'AINI", "Nur Aini"),
        ("BUDI SANTOSO", "Budi Santosa"),  # one letter off is still the same name
    ],
)
def test_a_name_equal_but_for_spacing_case_and_punctuation_matches(on_card: str, declared: str) -> None:
    evaluation = score(reading("KTP", ktp_fields(name=on_card)), applicant=Applicant(full_name=declared))

    assert the_reason(evaluation, "name_matches").effect == 0
    assert evaluation.score == 100


@pytest.mark.parametrize(
    ("on_card", "declared"),
    [
        ("BUDY SANTOS", "Budi Santoso"),
        ("SITI RAHMA", "Siti Rahmawati"),
        ("BUDI SANTOSO WIBOWO", "Budi Santoso"),
    ],
)
def test_a_close_but_different_name_is_similar_and_costs_10(on_card: str, declared: str) -> None:
    evaluation = score(reading("KTP", ktp_fields(name=on_card)), applicant=Applicant(full_name=declared))

    assert the_reason(evaluation, "name_similar").effect == -10
    assert evaluation.score == 90


@pytest.mark.parametrize(
    ("on_card", "declared"),
    [("ANDI WIJAYA", "Budi Santoso"), ("BAMBANG SANTOSO", "Budi Santoso"), ("...", "Budi Santoso")],
)
def test_a_different_name_is_a_mismatch_and_costs_45(on_card: str, declared: str) -> None:
    evaluation = score(reading("KTP", ktp_fields(name=on_card)), applicant=Applicant(full_name=declared))

    assert the_reason(evaluation, "name_mismatch").effect == -45


def test_the_name_is_not_compared_when_the_profile_has_none() -> None:
    evaluation = score(reading("KTP"), applicant=Applicant(nik=NIK))

    assert not {"name_matches", "name_similar", "name_mismatch"} & set(codes(evaluation))


@pytest.mark.parametrize(
    ("a", "b", "similarity"),
    [("Siti  Rahma", "SITI RAHMA", 1.0), ("a-b.c", "A B C", 1.0), ("", "BUDI", 0.0), ("...", "BUDI", 0.0)],
)
def test_name_similarity_ignores_case_punctuation_and_spacing(a: str, b: str, similarity: float) -> None:
    assert name_similarity(a, b) == similarity


def test_a_birth_date_other_than_the_profiles_costs_25() -> None:
    applicant = Applicant(full_name="Budi Santoso", date_of_birth=dt.date(1990, 8, 18))

    evaluation = score(reading("KTP"), applicant=applicant)

    assert the_reason(evaluation, "birth_date_mismatch").effect == -25
    assert evaluation.score == 75


def test_an_unread_birth_date_is_not_a_birth_date_mismatch() -> None:
    evaluation = score(reading("KTP", ktp_fields(birth_date=None)))

    assert "birth_date_mismatch" not in codes(evaluation)


def test_an_npwp_is_not_checked_against_the_profiles_birth_date() -> None:
    applicant = Applicant(full_name="Budi Santoso", date_of_birth=dt.date(1970, 1, 1))

    evaluation = score(reading("NPWP"), applicant=applicant, ktp_on_file=ktp_fields())

    assert "birth_date_mismatch" not in codes(evaluation)


def test_a_nik_other_than_the_declared_one_costs_40() -> None:
    evaluation = score(reading("KTP"), applicant=Applicant(full_name="Budi Santoso", nik=OTHER_NIK))

    assert the_reason(evaluation, "nik_profile_mismatch").effect == -40
    assert evaluation.score == 60


def test_an_npwp_whose_16_digit_number_is_not_the_declared_nik_costs_40() -> None:
    card = reading("NPWP", npwp_fields(npwp=OTHER_NIK))

    evaluation = score(card, applicant=PROFILE, ktp_on_file=ktp_fields(nik=OTHER_NIK))

    assert the_reason(evaluation, "nik_profile_mismatch").effect == -40


# --- duplicate identity -------------------------------------------------------------
def test_a_nik_verified_on_another_account_costs_60_and_the_lookup_gets_the_cards_nik() -> None:
    asked: list[str] = []

    def verified_elsewhere(nik: str) -> bool:
        asked.append(nik)
        return True

    evaluation = score(reading("KTP"), nik_verified_elsewhere=verified_elsewhere)

    assert asked == [NIK]
    assert the_reason(evaluation, "duplicate_identity").effect == -60
    assert evaluation.score == 40
    assert decide(evaluation.score, **THRESHOLDS) == "needs_review"


def test_a_nik_not_verified_elsewhere_is_no_duplicate() -> None:
    evaluation = score(reading("KTP"), nik_verified_elsewhere=lambda nik: nik == OTHER_NIK)

    assert "duplicate_identity" not in codes(evaluation)


@pytest.mark.parametrize(
    ("fields", "looked_up"),
    [
        pytest.param(npwp_fields(nik=NIK), NIK, id="nik-field"),
        pytest.param(npwp_fields(npwp=NIK), NIK, id="16-digit-number"),
    ],
)
def test_an_npwp_is_checked_for_duplicates_by_the_nik_it_states(fields: dict, looked_up: str) -> None:
    asked: list[str] = []

    score(reading("NPWP", fields), ktp_on_file=ktp_fields(), nik_verified_elsewhere=asked.append)

    assert asked == [looked_up]


def test_a_card_without_a_well_formed_nik_is_not_looked_up() -> None:
    asked: list[str] = []

    score(reading("KTP", ktp_fields(nik="31710117")), nik_verified_elsewhere=asked.append)
    score(reading("NPWP"), ktp_on_file=ktp_fields(), nik_verified_elsewhere=asked.append)

    assert asked == []


# --- image quality ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quality", "code", "effect"),
    [
        ({"sharpness": 19.9}, "image_blurry", -10),
        ({"glare": 0.051}, "image_glare", -5),
        ({"card_width_px": 499.0}, "image_low_resolution", -10),
    ],
)
def test_a_poor_photo_costs_points(quality: dict, code: str, effect: int) -> None:
    evaluation = score(reading("KTP", quality={**CLEAN_QUALITY, **quality}))

    assert the_reason(evaluation, code).effect == effect
    assert evaluation.score == 100 + effect


@pytest.mark.parametrize(
    "quality",
    [
        pytest.param({**CLEAN_QUALITY, "sharpness": 20.0, "glare": 0.05, "card_width_px": 500.0}, id="edges"),
        pytest.param({}, id="not-measured"),
    ],
)
def test_a_photo_at_the_quality_limits_or_unmeasured_costs_nothing(quality: dict) -> None:
    evaluation = score(reading("KTP", quality=quality))

    assert not {"image_blurry", "image_glare", "image_low_resolution"} & set(codes(evaluation))
    assert evaluation.score == 100


def test_all_three_quality_problems_add_up() -> None:
    quality = {"sharpness": 5.0, "glare": 0.3, "brightness": 0.7, "card_width_px": 320.0}

    assert score(reading("KTP", quality=quality)).score == 75


# --- NPWP -------------------------------------------------------------------------
def test_a_valid_npwp_matching_the_ktp_on_file_scores_100() -> None:
    evaluation = score(reading("NPWP", npwp_fields(nik=NIK)), ktp_on_file=ktp_fields())

    assert codes(evaluation) == ["npwp_matches_ktp", "name_matches"]
    assert the_reason(evaluation, "npwp_matches_ktp").effect == 0
    assert evaluation.score == 100


@pytest.mark.parametrize(
    ("number", "in_message"),
    [
        pytest.param(with_wrong_check_digit(npwp15()), "check digit", id="15-digits-bad-check-digit"),
        pytest.param("99" + NIK[2:], "not a valid NIK", id="16-digits-unknown-province"),
        pytest.param(NIK[:6] + "32" + NIK[8:], "not a valid NIK", id="16-digits-day-32"),
        pytest.param(npwp15()[:14], "neither 15 nor 16", id="14-digits"),
        pytest.param(NIK + "0", "neither 15 nor 16", id="17-digits"),
        pytest.param(npwp15()[:14] + "X", "neither 15 nor 16", id="not-all-digits"),
        pytest.param("0" + with_wrong_check_digit(npwp15()), "check digit", id="16-digits-0-bad-check-digit"),
    ],
)
def test_an_invalid_npwp_number_costs_35(number: str, in_message: str) -> None:
    evaluation = score(reading("NPWP", npwp_fields(npwp=number)), ktp_on_file=ktp_fields())

    reason = the_reason(evaluation, "npwp_invalid")
    assert reason.effect == -35
    assert in_message in reason.message


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(npwp15(), id="15-digits"),
        pytest.param(npwp15("01234567", "012000"), id="15-digits-other"),
        pytest.param(NIK, id="16-digit-nik"),
        pytest.param("0" + npwp15(), id="16-digits-0-and-the-15-digit-number"),
        pytest.param("0" + npwp15("01234567", "012000"), id="16-digits-0-and-another"),
    ],
)
def test_a_valid_npwp_number_is_not_flagged(number: str) -> None:
    evaluation = score(reading("NPWP", npwp_fields(npwp=number)), ktp_on_file=ktp_fields())

    assert "npwp_invalid" not in codes(evaluation)


def test_a_16_digit_npwp_of_0_and_the_old_number_is_not_taken_for_a_nik() -> None:
    """0 + the 15-digit number is the holder's old NPWP: it is no NIK to compare or look up."""
    asked: list[str] = []
    card = reading("NPWP", npwp_fields(npwp="0" + npwp15()))

    evaluation = score(card, ktp_on_file=ktp_fields(), nik_verified_elsewhere=asked.append)

    assert "npwp_nik_mismatch" not in codes(evaluation)
    assert "npwp_invalid" not in codes(evaluation)
    assert asked == []
    assert "npwp_matches_ktp" in codes(evaluation)


def test_an_npwp_without_a_ktp_on_file_costs_10_and_cannot_match_it() -> None:
    evaluation = score(reading("NPWP"), ktp_on_file=None)

    assert the_reason(evaluation, "no_ktp_on_file").effect == -10
    assert "npwp_matches_ktp" not in codes(evaluation)
    assert evaluation.score == 90


def test_an_npwp_in_another_name_than_the_ktp_costs_30() -> None:
    evaluation = score(reading("NPWP"), ktp_on_file=ktp_fields(name="ANDI WIJAYA"))

    assert the_reason(evaluation, "npwp_name_mismatch").effect == -30
    assert "npwp_matches_ktp" not in codes(evaluation)


def test_an_npwp_name_differing_only_in_spacing_and_punctuation_matches_the_ktp() -> None:
    card = reading("NPWP", npwp_fields(name="BUDI  SANTOSO."))

    evaluation = score(card, ktp_on_file=ktp_fields(name="BUDI SANTOSO"))

    assert "npwp_name_mismatch" not in codes(evaluation)
    assert "npwp_matches_ktp" in codes(evaluation)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(npwp_fields(nik=OTHER_NIK), id="nik-field"),
        pytest.param(npwp_fields(npwp=OTHER_NIK), id="16-digit-number"),
    ],
)
def test_an_npwp_stating_another_nik_than_the_ktp_costs_35(fields: dict) -> None:
    evaluation = score(reading("NPWP", fields), applicant=NAME_ONLY, ktp_on_file=ktp_fields())

    assert the_reason(evaluation, "npwp_nik_mismatch").effect == -35
    assert "npwp_matches_ktp" not in codes(evaluation)
    assert evaluation.score == 65


def test_an_npwp_whose_16_digit_number_is_the_ktps_nik_matches_it() -> None:
    evaluation = score(reading("NPWP", npwp_fields(npwp=NIK)), ktp_on_file=ktp_fields())

    assert "npwp_nik_mismatch" not in codes(evaluation)
    assert "npwp_matches_ktp" in codes(evaluation)
    assert evaluation.score == 100


def test_an_npwp_differing_in_both_name_and_nik_pays_for_both() -> None:
    card = reading("NPWP", npwp_fields(nik=OTHER_NIK, name="ANDI WIJAYA"))

    evaluation = score(card, applicant=Applicant(date_of_birth=BIRTH), ktp_on_file=ktp_fields())

    assert {"npwp_name_mismatch", "npwp_nik_mismatch"} <= set(codes(evaluation))
    assert evaluation.score == 100 - 30 - 35


# --- the score, the reasons ---------------------------------------------------------
ASSORTED = {
    "clean": lambda: score(reading("KTP")),
    "name-mismatch": lambda: score(reading("KTP", ktp_fields(name="ANDI WIJAYA"))),
    "everything-wrong": lambda: score(
        reading(
            "KTP",
            ktp_fields(name="ANDI WIJAYA", birth_date="1991-01-01", gender="FEMALE", address=None),
            confidence={"nik": 0.2, "name": 0.2, "birth_date": 0.2},
            quality={"sharpness": 1.0, "glare": 0.5, "card_width_px": 100.0},
        ),
        declared_type="NPWP",
        applicant=Applicant(full_name="Budi Santoso", date_of_birth=BIRTH, nik=OTHER_NIK),
        nik_verified_elsewhere=lambda nik: True,
    ),
    "npwp-no-ktp": lambda: score(reading("NPWP", npwp_fields(npwp="123")), applicant=Applicant()),
    "npwp-nik-mismatch": lambda: score(reading("NPWP", npwp_fields(nik=OTHER_NIK)), ktp_on_file=ktp_fields()),
    "unreadable": lambda: score(reading("UNKNOWN", {}), declared_type="KTP"),
}


@pytest.mark.parametrize("case", ASSORTED)
def test_the_score_is_100_plus_the_effects_clamped_to_0_100(case: str) -> None:
    evaluation = ASSORTED[case]()

    assert evaluation.score == max(0, min(100, 100 + sum(reason.effect for reason in evaluation.reasons)))


def test_a_score_falling_below_0_is_clamped_to_0() -> None:
    evaluation = ASSORTED["everything-wrong"]()

    assert 100 + sum(reason.effect for reason in evaluation.reasons) < 0
    assert evaluation.score == 0


@pytest.mark.parametrize("case", ASSORTED)
def test_every_reason_has_a_code_an_effect_and_a_readable_message(case: str) -> None:
    evaluation = ASSORTED[case]()

    assert evaluation.reasons
    for reason in evaluation.reasons:
        assert reason.code
        assert reason.code == reason.code.lower()
        assert " " not in reason.code
        assert isinstance(reason.effect, int)
        assert -100 <= reason.effect <= 0
        assert reason.message.endswith(".")
        assert len(reason.message) > 10


@pytest.mark.parametrize("case", ASSORTED)
def test_reasons_as_dicts_gives_code_effect_and_message_in_order(case: str) -> None:
    evaluation = ASSORTED[case]()

    assert evaluation.reasons_as_dicts() == [
        {"code": reason.code, "effect": reason.effect, "message": reason.message}
        for reason in evaluation.reasons
    ]


def test_reasons_as_dicts_has_exactly_the_three_contract_keys() -> None:
    dicts = score(reading("KTP", ktp_fields(name="ANDI WIJAYA"))).reasons_as_dicts()

    assert dicts[-1] == {
        "code": "name_mismatch",
        "effect": -45,
        "message": "The name on the card does not match the profile.",
    }
    assert all(set(entry) == {"code", "effect", "message"} for entry in dicts)


# --- the decision -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (100, "auto_approved"),
        (86, "auto_approved"),
        (85, "needs_review"),
        (60, "needs_review"),
        (35, "needs_review"),
        (34, "auto_rejected"),
        (0, "auto_rejected"),
    ],
)
def test_the_default_thresholds_approve_above_85_and_reject_below_35(value: int, outcome: str) -> None:
    assert decide(value, **THRESHOLDS) == outcome


@pytest.mark.parametrize(
    ("value", "outcome"),
    [(71, "auto_approved"), (70, "needs_review"), (50, "needs_review"), (49, "auto_rejected")],
)
def test_custom_thresholds_move_both_edges(value: int, outcome: str) -> None:
    assert decide(value, approve_above=70, reject_below=50) == outcome


def test_equal_thresholds_leave_only_the_edge_itself_for_review() -> None:
    assert [decide(value, approve_above=60, reject_below=60) for value in (59, 60, 61)] == [
        "auto_rejected",
        "needs_review",
        "auto_approved",
    ]
