"""KTP rows matched to fields when labels are misread: the card's fixed row order decides. No Django."""

from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.layout import Line, group_rows

NIK = "3171011708900001"
HEADER = [("PROVINSI DKI JAKARTA", 300, 18), ("KOTA JAKARTA SELATAN", 320, 52)]


def _parse(*value_rows: tuple[str, str]):
    cells = list(HEADER)
    for i, (label, value) in enumerate(value_rows):
        if label:
            cells.append((label, 30, 100 + 32 * i))
        if value:
            cells.append((value, 240, 100 + 32 * i))
    lines = [Line(text, 0.9, x, y, x + 12 * len(text), y + 24) for text, x, y in cells]
    return parse_ktp(group_rows(lines))


def test_a_row_whose_label_is_unreadable_gets_its_field_from_the_row_order() -> None:
    fields = _parse(
        ("NIK", f": {NIK}"),
        ("Nama", ": BUDI SANTOSO"),
        ("Temper 9 kapur", ": BINJAI, 30-06-1975"),
        ("Jaran Ketaman", ": LAKI-LAKI"),
        ("a u", ": JL. MERDEKA NO. 5"),
        ("RT/RW", ": 009/006"),
        ("Kav Dasa", ": PASIRJATI"),
        ("Kecamatan", ": MEKARSARI"),
    ).fields
    assert fields["birth_place"] == "BINJAI"
    assert fields["birth_date"] == "1975-06-30"
    assert fields["gender"] == "MALE"
    assert fields["address"] == "JL. MERDEKA NO. 5"
    assert fields["village"] == "PASIRJATI"
    assert fields["district"] == "MEKARSARI"
    assert fields["province"] == "DKI JAKARTA"


def test_a_label_that_was_not_detected_at_all_leaves_its_field_absent_not_shifted() -> None:
    fields = _parse(
        ("Agama", ": ISLAM"),
        ("", ""),
        ("Pekerjaan", ": WIRASWASTA"),
        ("Kewarganegaraan", ": WNI"),
    ).fields
    assert fields["religion"] == "ISLAM"
    assert "marital_status" not in fields
    assert fields["occupation"] == "WIRASWASTA"
    assert fields["nationality"] == "WNI"


def test_a_value_that_fits_its_field_places_a_row_with_a_garbled_label() -> None:
    fields = _parse(("Agama", ": ISLAM"), ("xx", ": CERAI HIDUP"), ("zz", ": SEUMUR HIDUP")).fields
    assert fields["marital_status"] == "CERAI HIDUP"
    assert fields["valid_until"] == "SEUMUR HIDUP"
    assert "occupation" not in fields


def test_a_nik_whose_colon_was_read_as_a_one_and_whose_label_is_a_box_of_its_own() -> None:
    assert _parse(("NIK", f"1 {NIK}"), ("Nama", ": BUDI SANTOSO")).fields["nik"] == NIK


def test_header_lines_are_not_mistaken_for_a_nik() -> None:
    # Letters that look like digits (I, S, L, A, T ...) make 14+ "digits" of a province name.
    parsed = _parse(("NIK", NIK))
    assert parsed.fields["province"] == "DKI JAKARTA"
    assert parsed.fields["city"] == "KOTA JAKARTA SELATAN"


def test_what_tesseract_made_of_the_colon_is_dropped_but_short_words_a_value_starts_with_stay() -> None:
    fields = _parse(
        ("Nama", "| BUDI SANTOSO"),
        ("Tempat/Tgl Lahir", "1 BOGOR, 17-08-1990"),
        ("Jenis Kelamin", "OT LAKI-LAKI"),
        ("Alamat", "GG RAYA NO. 5"),
        ("RT/RW", "1 003/005"),
        ("Kel/Desa", "Z TEGALSARI"),
    ).fields
    assert fields["name"] == "BUDI SANTOSO"
    assert fields["birth_place"] == "BOGOR"
    assert fields["gender"] == "MALE"
    assert fields["address"] == "GG. RAYA NO. 5"
    assert fields["rt_rw"] == "003/005"
    assert fields["village"] == "TEGALSARI"
    assert _parse(("Nama", "I WAYAN SUKADANA")).fields["name"] == "I WAYAN SUKADANA"


def test_a_label_letter_run_into_the_colon_in_front_of_the_value_is_no_part_of_it() -> None:
    # DBNet ended the label box before its last letter: the value's box reads `r:SURABAYA`.
    fields = _parse(
        ("Nama", "a:BUDI SANTOSO"),
        ("Tempat/Tgl Lahi", "r:SURABAYA, 19-06-1967"),
        ("Jenis Kelamin", "n: LAKI-LAKI"),
        ("Alamat", "GG: RAYA NO. 5"),
    ).fields
    assert fields["name"] == "BUDI SANTOSO"
    assert fields["birth_place"] == "SURABAYA"
    assert fields["birth_date"] == "1967-06-19"
    assert fields["gender"] == "MALE"
    assert fields["address"].startswith("GG")


def test_a_nationality_half_read_is_absent_rather_than_guessed() -> None:
    assert _parse(("Kewarganegaraan", ": WNI")).fields["nationality"] == "WNI"
    assert _parse(("Kewarganegaraan", ": WN1")).fields["nationality"] == "WNI"
    for misread in (": WN", ": wa", ": WNT"):
        assert "nationality" not in _parse(("Kewarganegaraan", misread)).fields


def test_an_rt_or_rw_of_zero_is_a_misreading() -> None:
    assert "rt_rw" not in _parse(("RT/RW", ": 002/000")).fields


def test_an_rt_or_rw_past_99_is_a_misreading_left_out() -> None:
    # A zero read as 8 or 6: no kelurahan numbers its RWs, nor an RW its RTs, past the tens.
    assert "rt_rw" not in _parse(("RT/RW", ": 810/015")).fields
    assert "rt_rw" not in _parse(("RT/RW", ": 010/613")).fields
    assert _parse(("RT/RW", ": 099/015")).fields["rt_rw"] == "099/015"


def test_a_colon_read_as_1_and_run_into_the_nik_is_not_part_of_it() -> None:
    assert _parse(("NIK", f"1{NIK}")).fields["nik"] == NIK
    # Sixteen digits after the 1 that make no NIK are flagged as such.
    parsed = _parse(("NIK", "19999999999999999"))
    assert "nik_invalid" in {check["code"] for check in parsed.checks}


def test_letters_misread_as_marks_or_digits_inside_a_name_are_letters_again() -> None:
    fields = _parse(("Nama", ": SUS! HARAHAP"), ("Tempat/Tgl Lahir", ": B0GOR, 17-08-1990")).fields
    assert fields["name"] == "SUSI HARAHAP"
    assert fields["birth_place"] == "BOGOR"
