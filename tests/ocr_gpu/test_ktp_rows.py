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


def _rows_with_colon_boxes(marks: list[tuple[str, str, str]]):
    """Rows whose colon DBNet found as a box of its own, x-height tall, in front of the value."""
    lines = [Line(text, 0.9, x, y, x + 12 * len(text), y + 24) for text, x, y in HEADER]
    for i, (label, mark, value) in enumerate(marks):
        y = 100 + 32 * i
        lines.append(Line(label, 0.9, 30, y, 30 + 12 * len(label), y + 24))
        lines.append(Line(mark, 0.8, 228, y + 7, 244, y + 20))
        lines.append(Line(value, 0.9, 240, y, 240 + 12 * len(value), y + 24))
    return parse_ktp(group_rows(lines))


def test_a_colon_found_as_a_box_of_its_own_is_no_part_of_the_value_whatever_it_reads_as() -> None:
    fields = _rows_with_colon_boxes(
        [
            ("NIK", ":", NIK),
            ("Nama", "1", "BUDI SANTOSO"),
            ("Tempat/Tgl Lahir", ": B", "BUTON TENGAH, 17-08-1990"),
            ("Jenis Kelamin", "P", "LAKI-LAKI"),
            ("Alamat", "P", "PERUM BERINGIN NO. 129"),
            ("RT/RW", ":2", "003/005"),
            ("Kel/Desa", "1", "TEGALSARI"),
        ]
    ).fields
    assert fields["nik"] == NIK
    assert fields["name"] == "BUDI SANTOSO"
    assert fields["birth_place"] == "BUTON TENGAH"
    assert fields["gender"] == "MALE"
    assert fields["address"] == "PERUM BERINGIN NO. 129"
    assert fields["rt_rw"] == "003/005"
    assert fields["village"] == "TEGALSARI"


def test_a_value_letter_as_tall_as_the_print_is_kept_even_as_a_box_of_its_own() -> None:
    # The blood type's letter, or a name's initial, stands as tall as the rest of the print.
    lines = [Line(text, 0.9, x, y, x + 12 * len(text), y + 24) for text, x, y in HEADER]
    lines += [
        Line("Nama", 0.9, 30, 100, 78, 124),
        Line("M.", 0.9, 240, 100, 262, 124),
        Line("RIZKY PRATAMA", 0.9, 268, 100, 424, 124),
        Line("Jenis Kelamin", 0.9, 30, 132, 186, 156),
        Line(": LAKI-LAKI", 0.9, 240, 132, 372, 156),
        Line("Gol. Darah :", 0.9, 470, 132, 614, 156),
        Line("B", 0.9, 620, 132, 634, 156),
    ]
    fields = parse_ktp(group_rows(lines)).fields
    assert fields["name"] == "M. RIZKY PRATAMA"
    assert fields["blood_type"] == "B"


def _occupation(printed: str) -> str | None:
    rows = (("Agama", ": ISLAM"), ("Status Perkawinan", ": KAWIN"), ("Pekerjaan", printed))
    return _parse(*rows).fields.get("occupation")


def test_an_occupation_printed_with_its_siak_abbreviation_reads_as_printed() -> None:
    assert _occupation(": PEGAWAI NEGERI SIPIL (PNS)") == "PEGAWAI NEGERI SIPIL (PNS)"
    assert _occupation(": TENTARA NASIONAL INDONESIA (TNl)") == "TENTARA NASIONAL INDONESIA (TNI)"
    assert _occupation(": KEPOLISIAN Rl (POLRI)") == "KEPOLISIAN RI (POLRI)"
    assert _occupation(": PEGAWAI NEGERI SIPIL") == "PEGAWAI NEGERI SIPIL"
    # A bracket that is not the entry's own abbreviation is no reading of that entry.
    assert _occupation(": PEGAWAI NEGERI SIPIL (TNI)") != "PEGAWAI NEGERI SIPIL (TNI)"


def test_an_rt_rw_whose_slash_was_read_as_a_one_or_seven_reads_as_two_numbers() -> None:
    assert _parse(("RT/RW", ": 0201006")).fields["rt_rw"] == "020/006"
    assert _parse(("RT/RW", ": 0037015")).fields["rt_rw"] == "003/015"
    # Past 099 or 000 it stays a misreading, as with the slash read.
    assert "rt_rw" not in _parse(("RT/RW", ": 0201000")).fields
    assert "rt_rw" not in _parse(("RT/RW", ": 1201006")).fields


def test_a_blood_type_after_a_colon_read_as_a_full_stop_is_read() -> None:
    fields = _parse(("Jenis Kelamin", ": LAKI-LAKI          Gol. Darah. B")).fields
    assert fields["gender"] == "MALE"
    assert fields["blood_type"] == "B"
    assert "blood_type" not in _parse(("Jenis Kelamin", ": LAKI-LAKI          Gol. Darah. -")).fields


def test_the_side_panel_column_ends_a_long_value_beside_it_wherever_the_panel_starts() -> None:
    from ocr_gpu.engine.parse import parse

    def card(occupation_end: int) -> dict[str, str]:
        rows = [("NIK", f": {NIK}"), ("Nama", ": BUDI SANTOSO"), ("Agama", ": ISLAM")]
        rows += [("Status Perkawinan", ": KAWIN"), ("Pekerjaan", ": MENGURUS RUMAH TANGGA")]
        rows += [("Kewarganegaraan", ": WNI"), ("Berlaku Hingga", ": SEUMUR HIDUP")]
        lines = [Line(text, 0.9, x, y, x + 12 * len(text), y + 24) for text, x, y in HEADER]
        for i, (label, value) in enumerate(rows):
            y = 100 + 32 * i
            lines.append(Line(label, 0.9, 30, y, 30 + 12 * len(label), y + 24))
            right = occupation_end if label == "Pekerjaan" else 240 + 12 * len(value)
            lines.append(Line(value, 0.9, 240, y, right, y + 24))
        # Place and date of issue, centred under the photo, each sharing a row with a value.
        lines.append(Line("BONTANG", 0.9, 820, 100 + 32 * 3 + 4, 904, 100 + 32 * 3 + 28))
        lines.append(Line("11-01-2024", 0.9, 806, 100 + 32 * 4 + 2, 922, 100 + 32 * 4 + 26))
        doc_type, parsed = parse(group_rows(lines), None)
        assert doc_type == "KTP" and parsed is not None
        return parsed.fields

    # The date 3 line heights after the value's end: nearer than a fixed gap would allow.
    for end in (600, 714):
        fields = card(end)
        assert fields["occupation"] == "MENGURUS RUMAH TANGGA"
        assert fields["marital_status"] == "KAWIN"


def test_boxes_dbnet_split_inside_a_word_are_read_as_one_line() -> None:
    from ocr_gpu.engine.detect import LineBox, _joined

    split = [LineBox(320, 280, 469, 305, 0.8), LineBox(457, 281, 704, 306, 0.9)]
    label, colon_gap = LineBox(30, 280, 130, 305, 0.9), LineBox(140, 500, 200, 525, 0.9)
    joined = _joined([split[1], label, split[0], colon_gap])
    assert LineBox(320, 280, 704, 306, 0.9) in joined
    # Boxes apart, or overlapping only on another line, stay as they are.
    assert label in joined and colon_gap in joined and len(joined) == 3
    below = LineBox(400, 300, 600, 325, 0.9)  # overlaps the line's box by 5 px of height
    assert len(_joined([*split, below])) == 2


def test_an_occupation_read_cut_short_is_absent_not_kept_as_another() -> None:
    assert _occupation(": DAGANG") is None  # PEDAGANG, its first letters lost
    assert _occupation(": PEMBUDIDAYA IKAN") == "PEMBUDIDAYA IKAN"  # off the list: kept as printed


def test_a_regency_line_as_wide_as_the_card_is_the_header_not_a_row_with_an_unknown_label() -> None:
    name = "KABUPATEN KEPULAUAN SIAU TAGULANDANG BIARO"
    lines = [
        Line("PROVINSI SULAWESI UTARA", 0.9, 300, 18, 576, 42),
        Line(name, 0.9, 30, 52, 30 + 22 * len(name), 76),
        Line("NIK", 0.9, 30, 100, 66, 124),
        Line(": 7109290908934654", 0.9, 240, 100, 456, 124),
        Line("Nama", 0.9, 30, 132, 78, 156),
        Line(": BUDI SANTOSO", 0.9, 240, 132, 408, 156),
    ]
    fields = parse_ktp(group_rows(lines)).fields
    assert fields["city"] == name
    assert fields["province"] == "SULAWESI UTARA"
    assert fields["name"] == "BUDI SANTOSO"
