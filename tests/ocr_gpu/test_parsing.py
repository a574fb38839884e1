"""KTP and NPWP parsing from recognized lines: layout variants and OCR confusions. No Django."""

from idnumbers.nik import decode_nik
from ocr_gpu.engine.digits import as_digits, parse_date
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.nik import correct_nik
from ocr_gpu.engine.npwp import parse_npwp

# A synthetic NIK: Kota Jakarta Selatan (3174, Kemendagri), district 01, a man born 17-08-1990, serial 0001.
NIK = "3174011708900001"


def _rows(*cells: tuple[str, float, float]):
    """Rows from (text, x0, y0) cells, the way the detector lays them out on a 1000 x 630 card."""
    return group_rows([Line(text, 0.9, x, y, x + 12 * len(text), y + 24) for text, x, y in cells])


def _ktp(*value_rows: tuple[str, str]) -> dict[str, str]:
    cells = [("PROVINSI DKI JAKARTA", 300, 18), ("KOTA JAKARTA SELATAN", 320, 52)]
    for i, (label, value) in enumerate(value_rows):
        cells.append((label, 30, 100 + 32 * i))
        if value:
            cells.append((value, 240, 100 + 32 * i))
    return parse_ktp(_rows(*cells)).fields


def test_it_reads_label_colon_value_rows() -> None:
    fields = _ktp(("NIK", f": {NIK}"), ("Nama", ": BUDI SANTOSO"), ("Agama", ": ISLAM"))
    assert fields == {
        "province": "DKI JAKARTA",
        "city": "KOTA JAKARTA SELATAN",
        "nik": NIK,
        "name": "BUDI SANTOSO",
        "religion": "ISLAM",
    }


def test_it_reads_upper_case_labels_with_the_colon_attached() -> None:
    fields = _ktp(("NAMA:", "BUDI SANTOSO"), ("PEKERJAAN:", "KARYAWAN SWASTA"))
    assert fields["name"] == "BUDI SANTOSO"
    assert fields["occupation"] == "KARYAWAN SWASTA"


def test_it_reads_a_value_whose_colon_was_misread() -> None:
    assert _ktp(("Kel/Desa", "1 KEBAYORAN"))["village"] == "KEBAYORAN"


def test_it_joins_an_address_that_wraps_to_a_second_line() -> None:
    fields = _ktp(("Alamat", ": JL. MERDEKA RAYA BLOK C2"), ("", ""), ("RT/RW", ": 003/005"))
    rows = _rows(
        ("Alamat", 30, 100),
        (": JL. MERDEKA RAYA BLOK C2", 240, 100),
        ("NO. 14", 255, 132),
        ("RT/RW", 56, 164),
    )
    assert parse_ktp(rows).fields["address"] == "JL. MERDEKA RAYA BLOK C2 NO. 14"
    assert fields["rt_rw"] == "003/005"


def test_it_splits_place_and_date_of_birth() -> None:
    fields = _ktp(("Tempat/Tgl Lahir", ": BANDA ACEH, 17-08-1990"))
    assert (fields["birth_place"], fields["birth_date"]) == ("BANDA ACEH", "1990-08-17")


def test_it_reads_gender_and_blood_type_from_one_row() -> None:
    rows = _rows(("Jenis Kelamin", 30, 100), (": PEREMPUAN", 240, 100), ("Gol. Darah : AB", 470, 100))
    fields = parse_ktp(rows).fields
    assert (fields["gender"], fields["blood_type"]) == ("FEMALE", "AB")


def test_it_reads_a_blood_type_o_misread_as_zero_and_no_blood_type_for_a_dash() -> None:
    assert _ktp(("Jenis Kelamin", ": LAKI-LAKI Gol. Darah : 0"))["blood_type"] == "O"
    assert "blood_type" not in _ktp(("Jenis Kelamin", ": LAKI-LAKI Gol. Darah : -"))


def test_it_reads_rt_rw_with_or_without_the_slash() -> None:
    assert _ktp(("RT/RW", ": 003/005"))["rt_rw"] == "003/005"
    assert _ktp(("RT/RW", ": 003 005"))["rt_rw"] == "003/005"
    assert _ktp(("RT/RW", ": OO3/OO5"))["rt_rw"] == "003/005"


def test_it_maps_every_letter_ocr_confuses_with_a_digit() -> None:
    assert as_digits("O D I l S B b Z") == "00115862"
    confused = "3I74Ol17O89OOOOl".replace("O", "D", 1)
    assert _ktp(("NIK", f": {confused}"))["nik"] == NIK
    assert _ktp(("NIK", ": 3174O1I7O89OOOO1"))["nik"] == NIK
    assert _ktp(("NIK", ": 3174011708900001".replace("8", "B").replace("5", "S")))["nik"] == NIK
    assert parse_date("Zb-O8-l99O") == "1990-08-26"
    assert parse_date("17 08 1990") == "1990-08-17"


def test_it_corrects_a_nik_digit_only_when_one_correction_is_possible() -> None:
    assert decode_nik(NIK).female is False
    assert correct_nik("3171019708900001") == "3171010708900001"  # day 97: only 9 -> 0 makes a date
    assert correct_nik("3171018808900001") is None  # day 88: 08 and 68 both fit, so no guess
    assert correct_nik("3171015708900001") == "3171015708900001"  # a woman: day + 40


def test_it_reports_a_nik_that_disagrees_with_the_printed_card() -> None:
    rows = [
        ("NIK", f": {NIK}"),
        ("Tempat/Tgl Lahir", ": BOGOR, 18-08-1990"),
        ("Jenis Kelamin", ": PEREMPUAN"),
    ]
    parsed = parse_ktp(
        _rows(
            *[
                (text, x, 100 + 32 * i)
                for i, pair in enumerate(rows)
                for text, x in zip(pair, (30, 240), strict=True)
            ]
        )
    )
    codes = {check["code"] for check in parsed.checks}
    assert codes == {"nik_birth_date_mismatch", "nik_gender_mismatch"}
    assert parsed.fields["nik"] == NIK  # reported as printed, not "fixed"


def test_it_reads_valid_until_as_a_date_or_for_life() -> None:
    assert _ktp(("Berlaku Hingga", ": SEUMUR HIDUP"))["valid_until"] == "SEUMUR HIDUP"
    assert _ktp(("Berlaku Hingga", ": 17-08-2027"))["valid_until"] == "2027-08-17"


def _npwp(number_line: str, *more: tuple[str, float, float]):
    header = [("KEMENTERIAN KEUANGAN REPUBLIK INDONESIA", 175, 62), ("DIREKTORAT JENDERAL PAJAK", 175, 100)]
    body = [(number_line, 60, 195), ("SITI RAHMAWATI", 60, 250), (f"NIK : {NIK}", 60, 292)]
    body += [("JL. MELATI NO. 5 RT 003 RW 005", 60, 334), ("CILANDAK JAKARTA SELATAN", 60, 372)]
    body += [("KPP PRATAMA JAKARTA CILANDAK", 60, 520), ("Tanggal Terdaftar : 12-05-2015", 60, 560), *more]
    return parse_npwp(_rows(*header, *body))


def test_it_reads_a_15_digit_npwp_and_its_fields() -> None:
    parsed = _npwp("NPWP : 09.254.294.3-407.000")
    assert parsed.fields == {
        "npwp": "092542943407000",
        "name": "SITI RAHMAWATI",
        "nik": NIK,
        "address": "JL. MELATI NO. 5 RT 003 RW 005 CILANDAK JAKARTA SELATAN",
        "kpp": "KPP PRATAMA JAKARTA CILANDAK",
        "registered_date": "2015-05-12",
    }
    assert parsed.checks == []


def test_it_flags_a_15_digit_npwp_whose_check_digit_is_wrong() -> None:
    parsed = _npwp("NPWP : 09.254.294.4-407.000")
    assert [check["code"] for check in parsed.checks] == ["npwp_check_digit_invalid"]


def test_it_reads_a_nik_used_as_npwp() -> None:
    assert _npwp(f"NPWP16 : {NIK}").fields["npwp"] == NIK


def test_it_reads_an_npwp_cards_nik_whose_colon_reads_as_a_dash() -> None:
    parsed = _npwp("NPWP : 09.254.294.3-407.000")
    assert parsed.fields["nik"] == NIK
    rows = _rows(
        ("NPWP : 09.254.294.3-407.000", 60, 195), ("SITI RAHMAWATI", 60, 250), (f"NIK - {NIK}", 60, 292)
    )
    assert parse_npwp(rows).fields["nik"] == NIK


def test_an_npwp_address_keeps_a_town_line_and_its_rt_rw_read_as_at_aw() -> None:
    rows = _rows(
        ("NPWP : 09.254.294.3-407.000", 60, 195),
        ("SITI RAHMAWATI", 60, 250),
        ("WK 3174011708900001", 60, 292),
        ("GG. MELATI NO. 5 AT 003 AW OO5 CILANDAK", 60, 334),
        ("KEPULAUAN SERIBU", 60, 372),
        ("KPP PRATAMA KEPULAUAN SERIBU", 60, 520),
    )
    fields = parse_npwp(rows).fields
    assert fields["nik"] == NIK
    assert fields["address"] == "GG. MELATI NO. 5 RT 003 RW 005 CILANDAK KEPULAUAN SERIBU"
    assert fields["kpp"] == "KPP PRATAMA KEPULAUAN SERIBU"


def _npwp_with(*lines: tuple[str, float]) -> dict[str, str]:
    header = [("KEMENTERIAN KEUANGAN REPUBLIK INDONESIA", 175, 62), ("DIREKTORAT JENDERAL PAJAK", 175, 100)]
    body = [("NPWP : 09.254.294.3-407.000", 60, 195), ("SITI RAHMAWATI", 60, 250)]
    return parse_npwp(_rows(*header, *body, *((text, 60, y) for text, y in lines))).fields


def test_a_registration_date_after_a_label_without_a_colon_reads_as_the_date_not_the_label() -> None:
    # TANGGAL's letters read as digits (74N6641) must not make the first date candidate.
    for line in ("Tanggal Terdaftar 27-04-2019", "TANGGAL TERDAFTAR 27-O4-2019", "Terdaftar 27.04.2019"):
        fields = _npwp_with(("KPP PRATAMA BOGOR", 520), (line, 560))
        assert fields["registered_date"] == "2019-04-27", line
    assert parse_date("3l.12.2001") == "2001-12-31"
    assert parse_date("31-02-2019") is None  # no later start inside the number makes a date


def test_an_npwp_address_starting_with_kp_for_kampung_is_the_address_not_the_kpp() -> None:
    fields = _npwp_with(("KP. CIBEUREUM RT 003 RW 005", 334), ("KPP PRATAMA BOGOR", 520))
    assert fields["address"] == "KP. CIBEUREUM RT 003 RW 005"
    assert fields["kpp"] == "KPP PRATAMA BOGOR"
    # A KPP whose second P was lost still names its office's kind.
    assert _npwp_with(("KP PRATAMA BOGOR", 520))["kpp"] == "KP PRATAMA BOGOR"


def test_kampung_before_an_address_is_written_as_printed_with_its_stop() -> None:
    assert _ktp(("Alamat", ": KP KARANGTENGAH NO 75"))["address"] == "KP. KARANGTENGAH NO. 75"
