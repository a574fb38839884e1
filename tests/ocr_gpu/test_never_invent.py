"""What an unsure or contradicted reading becomes: absent, never a wrong value. No Django, no image.

Recognized lines as the detector lays them out on a 1000 x 630 card, with the readings
Tesseract gives on soft photos; the second reader's text is given, not run.
"""

import datetime as dt

from idnumbers.nik import make_nik
from ocr_gpu.engine.fields import Parsed
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.ktpheader import regency_name
from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.npwp import parse_npwp
from ocr_gpu.engine.parse import choose, parse
from ocr_gpu.engine.secondopinion import _weigh
from ocr_gpu.engine.verify import drop_contradicted

# Synthetic: Kabupaten Dompu (5205), district 32, a man born 13-01-1964, serial 2789.
DOMPU_NIK = "5205321301642789"
KARO_NIK = make_nik("1206", 2, dt.date(1985, 3, 1), True, 9)  # synthetic: issued in Kabupaten Karo


def _rows(cells: list[tuple[str, float, float]], confidence: float = 0.9):
    return group_rows([Line(text, confidence, x, y, x + 12 * len(text), y + 24) for text, x, y in cells])


# Label and value rows of a photo too soft to read (what Tesseract gave on one).
_GARBLED = [
    (text, x, 132 + 32 * (i // 2))
    for i, (text, x) in enumerate(
        [
            *[("Rakes Rea", 30), ("ANA RN AINE", 240), ("ets", 30), ("MTOM, LOL LSE", 240), ("WAR", 30)],
            *[("Dad, at hahaa", 240), ("aa", 30), ("Pema CENERKA", 240), ("re", 30), ("WONOSARI", 240)],
        ]
    )
]


def test_a_dollar_sign_in_a_nik_is_a_5_and_the_colon_read_as_1_is_not_the_first_digit() -> None:
    cells = [("PROVINSI NUSA TENGGARA BARAT", 300, 18), ("KABUPATEN DOMPU", 320, 52)]
    cells += [("NIK", 30, 100), ("1 $205321301642789", 240, 100)]
    assert parse_ktp(_rows(cells)).fields["nik"] == DOMPU_NIK


def test_a_soft_ktp_whose_labels_are_unreadable_is_told_by_its_nik_naming_the_header() -> None:
    """PROVINSI, the regency, and a well-formed NIK issued there: a KTP, though no label read."""
    cells = [("PROVINSI NUSA TENGGARA BARAT", 300, 18), ("KABUPATEN DOMPU", 320, 52)]
    cells += [("eny", 30, 100), ("1 $205321301642789", 240, 100)]
    cells += _GARBLED
    doc_type, parsed = parse(_rows(cells), None)
    assert doc_type == "KTP"
    assert parsed is not None and parsed.fields["nik"] == DOMPU_NIK
    assert parsed.fields["city"] == "KABUPATEN DOMPU"


def test_a_nik_issued_elsewhere_than_the_header_does_not_make_a_card_a_ktp() -> None:
    cells = [("PROVINSI JAWA BARAT", 300, 18), ("KABUPATEN BOGOR", 320, 52)]
    cells += [("eny", 30, 100), (f": {DOMPU_NIK}", 240, 100)]
    cells += _GARBLED
    assert parse(_rows(cells), None)[0] == "UNKNOWN"


def test_a_header_only_the_nik_could_name_is_no_evidence_that_the_card_is_a_ktp() -> None:
    """KARU is as near KARO as KAUR: the NIK choosing KARO is no landmark, or it would prove itself."""
    assert regency_name("KABUPATEN KARU") is None
    cells = [("PROVINSI SUMATERA UTARA", 300, 18), ("KABUPATEN KARU", 320, 52)]
    cells += [("eny", 30, 100), (f": {KARO_NIK}", 240, 100)]
    cells += _GARBLED
    ktp = parse_ktp(_rows(cells))
    assert ktp.fields["city"] == "KABUPATEN KARO"  # the NIK still breaks the tie on the value
    assert parse(_rows(cells), None)[0] == "UNKNOWN"
    # The header read as itself, the same NIK issued there: the card's own structure, a KTP.
    cells[1] = ("KABUPATEN KARO", 320, 52)
    assert parse(_rows(cells), None)[0] == "KTP"


def test_an_occupation_read_as_a_scrap_is_left_out_not_kept_as_printed() -> None:
    def occupation(text: str, confidence: float) -> str | None:
        cells = [("NIK", 30, 100), (f": {DOMPU_NIK}", 240, 100), ("Pekerjaan", 30, 132), (text, 240, 132)]
        return parse_ktp(_rows(cells, confidence)).fields.get("occupation")

    assert occupation(": AP", 0.9) is None  # two letters are no occupation
    assert occupation(": PEETE", 0.4) is None  # free text read unsure
    assert occupation(": PENYULUH PERTANIAN", 0.9) == "PENYULUH PERTANIAN"  # off the list, read surely
    assert occupation(": PETANI/PEKEBUM", 0.9) == "PETANI/PEKEBUN"  # clearly nearest one entry


def _npwp(address: str, confidence: float):
    cells = [("NPWP : 09.254.294.3-407.000", 60, 120), ("BUDI SANTOSO", 60, 160), (address, 60, 200)]
    cells += [("KPP PRATAMA JAKARTA TEBET", 60, 280)]
    return _rows(cells, confidence)


def test_an_unsure_free_text_line_two_readers_agree_on_is_passed_on() -> None:
    rows = _npwp("JL. MELATI NO. 12", 0.5)
    parsed = parse_npwp(rows)
    assert "address" not in parsed.fields  # Tesseract alone is too unsure of free text
    line = parsed.lines_of["address"][0]
    weighed = _weigh(parsed, "address", line, "JL MELATI NO 12", 0.9, lambda: parse_npwp(rows))
    assert weighed.fields["address"] == "JL. MELATI NO. 12"


def test_an_unsure_free_text_line_two_readers_read_differently_is_left_out_with_a_reason() -> None:
    rows = _npwp("JL. MELATI NO. 12", 0.7)
    parsed = parse_npwp(rows)
    assert parsed.fields["address"] == "JL. MELATI NO. 12"
    line = parsed.lines_of["address"][0]
    weighed = _weigh(parsed, "address", line, "JL. MELATI NO. 17", 0.9, lambda: parse_npwp(rows))
    assert "address" not in weighed.fields
    assert "address_readers_disagree" in {check["code"] for check in weighed.checks}


def _weighed_address(first: str, second: str):
    rows = _npwp(first, 0.5)
    parsed = parse_npwp(rows)
    return _weigh(parsed, "address", parsed.lines_of["address"][0], second, 0.9, lambda: parse_npwp(rows))


def test_readings_with_the_same_digits_split_differently_are_no_agreement() -> None:
    """House number 1/23 is not 12/3, RT 01/012 is not RT 010/12: the same digits, other values."""
    for first, second in [
        ("JL. MELATI NO. 1/23", "JL. MELATI NO. 12/3"),
        ("JL. MELATI RT 01/012", "JL. MELATI RT 010/12"),
        ("JL. MELATI NO. 12", "JL. MELATI NO. 1 2"),
        ("JL. MELATI INDAH", "JL. MELATIIN DAH"),
    ]:
        weighed = _weighed_address(first, second)
        assert "address" not in weighed.fields, (first, second)
        assert "address_readers_disagree" in {check["code"] for check in weighed.checks}


def test_readings_that_differ_only_in_spacing_case_and_marks_agree() -> None:
    for first, second in [
        ("JL. MELATI NO. 1/23", "JL MELATI NO 1 / 23"),
        ("JL. MELATI NO. 1/23", "jl.melati no.1/23"),
        ("JL. MELATI RT 01/012", "JL. MELATI RT01/012"),
        ("JL. MA'RUF NO. 7", "JL. MARUF, NO: 7"),
    ]:
        weighed = _weighed_address(first, second)
        assert weighed.fields.get("address") == first, (first, second)
        assert not weighed.checks, (first, second)


def _contradicted(confidence: float) -> Parsed:
    cells = [("NIK", 30, 100), (f": {DOMPU_NIK}", 240, 100)]
    cells += [("Tempat/Tgl Lahir", 30, 132), (": DOMPU, 13-01-1904", 240, 132)]
    return parse_ktp(_rows(cells, confidence))


def test_an_unsure_birth_date_the_nik_contradicts_is_left_out_and_says_why() -> None:
    parsed = drop_contradicted(_contradicted(0.6))
    assert "birth_date" not in parsed.fields
    codes = {check["code"] for check in parsed.checks}
    assert "birth_date_unsure" in codes and "nik_birth_date_mismatch" not in codes


def test_a_sure_birth_date_the_nik_contradicts_stays_as_printed_with_its_check() -> None:
    parsed = drop_contradicted(_contradicted(0.95))
    assert parsed.fields["birth_date"] == "1904-01-13"
    assert "nik_birth_date_mismatch" in {check["code"] for check in parsed.checks}


def test_choose_needs_three_ktp_landmarks_without_a_hint() -> None:
    assert choose(Parsed(landmarks=2), Parsed(), None) == "UNKNOWN"
    assert choose(Parsed(landmarks=3), Parsed(), None) == "KTP"


def test_an_npwp_kpp_row_read_without_its_start_ends_the_address_and_gives_no_kpp() -> None:
    """A thumb over the card's corner: `KPP` unread, the office's kind read in part."""
    for kpp in ("RATAMA JAKARTA TEBET", "P PRATAMA JAKARTA TEBET", "MADYA JAKARTA PUSAT"):
        cells = [("NPWP : 09.254.294.3-407.000", 60, 120), ("BUDI SANTOSO", 60, 160)]
        cells += [("JL. MELATI NO. 12", 60, 200), ("RT 001 RW 002 TEBET", 60, 240), (kpp, 60, 280)]
        parsed = parse_npwp(_rows(cells, 0.95))
        assert parsed.fields["address"] == "JL. MELATI NO. 12 RT 001 RW 002 TEBET", kpp
        assert "kpp" not in parsed.fields, kpp


def test_an_npwp_address_starting_with_pratama_is_still_address() -> None:
    """Only a row after the address's first can be the KPP row read without its start."""
    cells = [("NPWP : 09.254.294.3-407.000", 60, 120), ("BUDI SANTOSO", 60, 160)]
    cells += [("PRATAMA RESIDENCE NO. 7", 60, 200), ("KPP PRATAMA JAKARTA TEBET", 60, 240)]
    parsed = parse_npwp(_rows(cells, 0.95))
    assert parsed.fields["address"] == "PRATAMA RESIDENCE NO. 7"
    assert parsed.fields["kpp"] == "KPP PRATAMA JAKARTA TEBET"


def test_readings_whose_letters_agree_but_whose_values_differ_are_no_agreement() -> None:
    """`GUNUNGSARI!`: the `!` is no letter to the agreement of letter runs, but a name's clean-up
    reads it as the I Tesseract misread (GUNUNGSARII). Two readings agree on a value only when
    the values they give agree."""

    def weighed(first: str, second: str) -> Parsed:
        rows = _rows([("Kel/Desa", 30, 200), (first, 240, 200)], 0.5)
        parsed = parse_ktp(rows)
        line = parsed.lines_of["village"][0]
        return _weigh(parsed, "village", line, second, 0.95, lambda: parse_ktp(rows))

    cut = weighed("GUNUNGSARI!", "GUNUNGSARI")
    assert "village" not in cut.fields
    assert "village_readers_disagree" in {check["code"] for check in cut.checks}
    # Marks the clean-up drops as the agreement does are no disagreement.
    assert weighed(": GUNUNGSARI.", "GUNUNGSARI").fields["village"] == "GUNUNGSARI"
