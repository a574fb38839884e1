"""The KTP header against the complete region list and the NIK: confirm, choose, report, never invent.

Parsing of recognized lines (as the detector lays them out), no image: the cases are
readings Tesseract gives on worn cards. No Django.
"""

import datetime as dt

from idnumbers.nik import make_nik
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.ktpheader import regency_name
from ocr_gpu.engine.layout import Line, group_rows

BANDUNG_NIK = make_nik("3273", 4, dt.date(1990, 8, 17), False, 1)  # issued in Kota Bandung
KARO_NIK = make_nik("1206", 2, dt.date(1985, 3, 1), True, 9)  # issued in Kabupaten Karo


def _parsed(province: str, city: str, nik: str):
    cells = [(f"PROVINSI {province}", 300, 18), (city, 320, 52), ("NIK", 30, 100), (f": {nik}", 240, 100)]
    cells += [("Nama", 30, 146), (": BUDI SANTOSO", 240, 146)]
    lines = [Line(text, 0.9, x, y, x + 12 * len(text), y + 24) for text, x, y in cells]
    return parse_ktp(group_rows(lines))


def test_a_header_that_disagrees_with_the_nik_gives_a_reason_and_changes_neither() -> None:
    parsed = _parsed("JAWA TIMUR", "KOTA SURABAYA", BANDUNG_NIK)
    assert parsed.fields["city"] == "KOTA SURABAYA"
    assert parsed.fields["province"] == "JAWA TIMUR"
    assert parsed.fields["nik"] == BANDUNG_NIK
    codes = {check["code"] for check in parsed.checks}
    assert {"nik_regency_mismatch", "nik_region_mismatch"} <= codes
    message = next(c["message"] for c in parsed.checks if c["code"] == "nik_regency_mismatch")
    assert "KOTA BANDUNG" in message


def test_a_header_that_agrees_with_the_nik_gives_no_reason() -> None:
    parsed = _parsed("JAWA BARAT", "KOTA BANDUNG", BANDUNG_NIK)
    assert parsed.fields["city"] == "KOTA BANDUNG"
    assert not [check for check in parsed.checks if "region" in check["code"] or "regency" in check["code"]]


def test_a_near_miss_regency_not_uniquely_close_stays_absent_instead_of_snapping() -> None:
    # KARU is one edit from KARO and two from KAUR: not clearly nearer one of them.
    assert regency_name("KABUPATEN KARU") is None
    parsed = _parsed("SUMATERA UTARA", "KABUPATEN KARU", BANDUNG_NIK)
    assert "city" not in parsed.fields
    # A regency that is not in the list is not turned into its nearest real neighbour.
    assert regency_name("KABUPATEN SIMEULUE BARAT") is None
    assert regency_name("KOTA JAKARTA TENGAH") is None


def test_the_nik_chooses_between_names_a_reading_is_equally_near() -> None:
    parsed = _parsed("SUMATERA UTARA", "KABUPATEN KARU", KARO_NIK)
    assert parsed.fields["city"] == "KABUPATEN KARO"
    assert not [check for check in parsed.checks if "regency" in check["code"]]


def test_a_misread_clearly_nearest_one_name_is_corrected_and_kept_as_printed() -> None:
    assert regency_name("KABUPATEN PANGANDARN") == "KABUPATEN PANGANDARAN"
    assert regency_name("JAKARTA SELATAN") == "JAKARTA SELATAN"
    assert regency_name("KOTA JAKARTA SELATAN") == "KOTA JAKARTA SELATAN"


def test_a_misread_near_two_spellings_of_one_regency_is_that_regency() -> None:
    """TOJO UNA-UNA and TOJO UNA UNA are one regency (7209): being near both is no ambiguity."""
    assert regency_name("KABUPATEN TOJO UNA UMA") == "KABUPATEN TOJO UNA UNA"
    assert regency_name("KABUPATEN TOJO UNA-UMA") == "KABUPATEN TOJO UNA-UNA"
    assert regency_name("KOTA PALANGKARAYA") == "KOTA PALANGKARAYA"  # as printed


def _header(first: str, second: str, nik: str = BANDUNG_NIK):
    cells = [(first, 300, 18), (second, 320, 52), ("NIK", 30, 100), (f": {nik}", 240, 100)]
    lines = [Line(text, 0.9, x, y, x + 12 * len(text), y + 24) for text, x, y in cells]
    return parse_ktp(group_rows(lines))


def test_a_province_word_misread_near_both_its_spellings_still_names_the_province() -> None:
    # VROVINSI is one edit from PROVINSI and two from PROPINSI: two spellings of one word,
    # not two candidates to choose between.
    parsed = _header("VROVINSI JAWA BARAT", "KOTA BANDUNG")
    assert parsed.fields["province"] == "JAWA BARAT"
    assert parsed.fields["city"] == "KOTA BANDUNG"


def test_an_unreadable_province_word_does_not_cost_the_regency_line() -> None:
    parsed = _header("~#%&* JAWA BARAT", "KOTA BANDUNG")
    assert "province" not in parsed.fields
    assert parsed.fields["city"] == "KOTA BANDUNG"
    # Without the province row, a row is the regency line only when it names one by itself.
    assert "city" not in _header("~#%&* JAWA BARAT", "RUMAH SAKIT UMUM").fields
