"""reviews.cards: the rows of the case page, judged by the scorer's own rules."""

from django.utils import translation

from kyc.scoring import MIN_FIELD_CONFIDENCE
from reviews.cards import field_rows, name_verdict, npwp_facts

NIK = "6172196806626550"
LINES = [
    {"text": "NIK", "box": [22, 97, 89, 132]},
    {"text": ":6172196806826550", "box": [229, 98, 596, 129]},  # a look-alike 8 for the 6
    {"text": "Nama", "box": [21, 143, 88, 170]},
    {"text": "BAMBANG SIREGAR", "box": [229, 142, 446, 167]},
    {"text": "Berlaku Hingga", "box": [24, 465, 182, 495]},
    {"text": "12-01-2020", "box": [231, 466, 405, 491]},
]


def rows(reasons: set[str], **confidence: float) -> dict[str, dict]:
    fields = {"nik": NIK, "name": "BAMBANG SIREGAR", "valid_until": "2020-01-12"}
    conf = {"nik": 0.9, "name": 0.9, "valid_until": 0.9, **confidence}
    with translation.override("en"):
        found = field_rows(doc_type="KTP", fields=fields, confidence=conf, lines=LINES, reasons=reasons)
        return {row["name"]: {**row, "check": _plain(row["check"])} for row in found}


def _plain(check: dict | None) -> dict | None:
    return {**check, "text": str(check["text"])} if check else None


def test_rows_follow_the_card_order_and_say_what_was_not_read() -> None:
    names = list(rows({"nik_consistent"}))
    assert names[:5] == ["province", "city", "nik", "name", "birth_place"]
    assert names[-1] == "valid_until"
    assert rows(set())["religion"]["check"]["text"] == "not read"


def test_a_repaired_nik_digit_and_the_scorers_nik_verdict_are_shown_masked() -> None:
    nik = rows({"nik_consistent"})["nik"]
    assert nik["value"] == "6172********6550" and NIK not in nik["raw"]
    assert nik["check"]["ok"] and "8→6 repaired" in nik["check"]["text"]
    assert "structure valid" in nik["check"]["text"]
    assert not rows({"nik_invalid"})["nik"]["check"]["ok"]


def test_the_crop_is_the_values_row_with_its_label() -> None:
    crop = rows(set())["name"]["crop"]
    # From the label's left edge (21, less a margin) to the value's right edge, scaled to fit.
    assert crop["x"] < 0 and crop["width"] <= 300
    scale = crop["card_width"] / 1000
    assert round((21 - 6) * scale) == -crop["x"]


def test_low_confidence_uses_the_scorers_cut_off() -> None:
    assert rows(set(), name=MIN_FIELD_CONFIDENCE)["name"]["low"] is False
    assert rows(set(), name=MIN_FIELD_CONFIDENCE - 0.01)["name"]["low"] is True
    assert rows(set(), name=0.79)["name"]["low"] is False  # not the old page's 80 %


def test_an_expired_ktp_shows_as_the_scorer_found_it() -> None:
    assert rows({"ktp_expired"})["valid_until"]["check"] == {"ok": False, "text": "expired"}


def test_names_are_judged_by_the_scorers_fuzzy_match() -> None:
    assert name_verdict("Siti  Rahma", "SITI RAHMA")["verdict"] == "match"
    assert name_verdict("BAMBANG SIREGQQ", "BAMBANG SIREGAR")["verdict"] == "similar"
    assert name_verdict("DEWI LESTARI", "BAMBANG SIREGAR")["verdict"] == "mismatch"
    assert name_verdict("", "BAMBANG")["verdict"] is None


def test_the_npwp_facts_format_the_number_masked_and_compare_with_the_ktp() -> None:
    fields = {"npwp": "092542946407000", "name": "BAMBANG SIREGAR", "nik": NIK}
    with translation.override("en"):
        facts = npwp_facts(fields=fields, ktp_fields={"nik": NIK, "name": "Bambang Siregar"}, reasons=set())
        other = npwp_facts(
            fields={**fields, "npwp": NIK, "nik": ""}, ktp_fields=None, reasons={"npwp_invalid"}
        )
    assert facts["number"] == "09.25*.***.*-**7.000" and facts["valid"] is True
    assert facts["nik_vs_ktp"] is True and facts["name"]["verdict"] == "match"
    assert str(other["format"]).startswith("NPWP16") and other["valid"] is False and not other["ktp_on_file"]
