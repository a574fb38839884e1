"""What real KTP and NPWP cards print beyond our generator's defaults, read through the engine.

Each card is rendered with one format forced (cardgen's styles) and read with real
detection and Tesseract. No Django.
"""

import dataclasses
import datetime as dt

import numpy as np
import pytest

from cardgen.cardart import draw_ktp, draw_npwp
from cardgen.cardphotos import photograph
from cardgen.cards import Card, make_ktp, make_npwp
from cardgen.styles import draw_style
from idnumbers.nik import make_nik
from idnumbers.npwp import luhn_check_digit
from ocr_gpu.engine import read_card

pytestmark = pytest.mark.slow


def _photo(card: Card, seed: int, **style_changes: object) -> bytes:
    rng = np.random.default_rng(seed)
    style = dataclasses.replace(draw_style(rng, "tuning"), **style_changes)
    face = draw_ktp(card, rng, style) if card.doc_type == "KTP" else draw_npwp(card, rng, style)
    return photograph(np.asarray(face), "clean", rng)


def _ktp(seed: int, **fields: str) -> Card:
    card = make_ktp(np.random.default_rng(seed), "clean")
    card.fields.update(fields)
    card.expected_checks = []
    return card


def test_a_blood_type_printed_as_a_dash_is_absent_not_guessed() -> None:
    card = _ktp(3)
    card.fields.pop("blood_type", None)
    reading = read_card(_photo(card, 3))
    assert "blood_type" not in reading.fields
    assert reading.fields["gender"] == card.fields["gender"]


def test_a_dki_jakarta_city_printed_without_kota_reads_as_printed() -> None:
    nik = make_nik("3174", 3, dt.date(1991, 4, 9), False, 12)
    card = _ktp(
        4, nik=nik, province="DKI JAKARTA", city="JAKARTA SELATAN", birth_date="1991-04-09", gender="MALE"
    )
    reading = read_card(_photo(card, 4))
    assert reading.fields["city"] == "JAKARTA SELATAN"
    assert reading.fields["province"] == "DKI JAKARTA"
    assert not [check for check in reading.checks if "region" in check["code"] or "regency" in check["code"]]


@pytest.mark.parametrize("separator", ["-", "/", "."])
def test_dates_read_whatever_separates_day_month_and_year(separator: str) -> None:
    card = _ktp(5, valid_until="2022-11-30")
    reading = read_card(_photo(card, 5, date_separator=separator))
    assert reading.fields["birth_date"] == card.fields["birth_date"]
    assert reading.fields["valid_until"] == "2022-11-30"


def test_upper_case_labels_with_other_spellings_and_attached_colons_read_the_same() -> None:
    card = _ktp(6)
    plain = read_card(_photo(card, 6)).fields
    other = read_card(
        _photo(
            card,
            6,
            upper_labels=True,
            joined_colon=True,
            birth_label="Tempat/Tgl. Lahir",
            blood_label="Gol Darah",
        )
    ).fields
    assert plain == other
    assert other["birth_place"] == card.fields["birth_place"]


@pytest.mark.parametrize(
    ("label", "upper"), [("Tanggal Terdaftar", False), ("Terdaftar", False), ("Terdaftar", True)]
)
def test_the_npwp_registration_date_reads_under_each_label_spelling(label: str, upper: bool) -> None:
    card = make_npwp(np.random.default_rng(7), "clean")
    reading = read_card(_photo(card, 7, registered_label=label, upper_labels=upper))
    assert reading.doc_type == "NPWP"
    assert reading.fields["registered_date"] == card.fields["registered_date"]


@pytest.mark.parametrize("form", ["nik", "zero-prefixed", "grouped"])
def test_a_16_digit_npwp_reads_beside_the_15_digit_one(form: str) -> None:
    card = make_npwp(np.random.default_rng(8), "clean")
    head = "09123456"
    old = f"{head}{luhn_check_digit(head)}407000"
    nik = make_nik("3273", 5, dt.date(1988, 1, 2), True, 77)
    card.fields["npwp"] = nik if form == "nik" else "0" + old
    card.fields.pop("nik", None)
    reading = read_card(_photo(card, 8, npwp_grouped=form == "grouped"))
    assert reading.doc_type == "NPWP"
    assert reading.fields["npwp"] == card.fields["npwp"]
    assert not [check for check in reading.checks if check["code"].startswith("npwp_")]
