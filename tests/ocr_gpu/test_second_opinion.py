"""The second opinion's rule: both readers agree, or exactly one passes the field's check.

The weighing is tested on recognized lines (no model); the ONNX reader on a rendered line.
No Django.
"""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cardgen.cardart import _font, font_pairs
from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.linecrops import crop_line
from ocr_gpu.engine.secondopinion import _weigh


def _card(religion: str, nationality: str):
    cells = [
        ("Agama", 30, 100),
        (f": {religion}", 240, 100),
        ("Kewarganegaraan", 30, 140),
        (f": {nationality}", 240, 140),
    ]
    lines = [Line(text, 0.5, x, y, x + 12 * len(text), y + 24) for text, x, y in cells]
    rows = group_rows(lines)
    return rows, parse_ktp(rows)


def _weighed(religion: str, nationality: str, key: str, second: str):
    rows, parsed = _card(religion, nationality)
    line = parsed.lines_of[key][0]
    return _weigh(parsed, key, line, second, 0.95, lambda: parse_ktp(rows))


def test_a_second_reading_that_alone_passes_the_check_is_taken() -> None:
    assert "nationality" not in _card("ISLAM", "wa")[1].fields
    assert _weighed("ISLAM", "wa", "nationality", "WNI").fields["nationality"] == "WNI"


def test_a_second_reading_that_fails_the_check_leaves_the_first() -> None:
    assert _weighed("ISLAM", "WNI", "nationality", "W").fields["nationality"] == "WNI"


def test_two_readings_that_pass_but_disagree_give_no_value_and_a_reason() -> None:
    parsed = _weighed("ISLAM", "WNI", "religion", "KRISTEN")
    assert "religion" not in parsed.fields
    assert "religion_readers_disagree" in {check["code"] for check in parsed.checks}
    assert _weighed("ISLAM", "WNI", "religion", "ISLAM").fields["religion"] == "ISLAM"


@pytest.mark.slow
def test_the_onnx_reader_reads_a_rendered_line() -> None:
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.second import second_reader

    image = Image.new("L", (500, 60), 220)
    ImageDraw.Draw(image).text(
        (10, 15), "BELUM KAWIN 17-08-1990", font=_font(font_pairs()[0][0], 22), fill=30
    )
    crop = crop_line(np.asarray(image), 8, 12, 300, 42)
    assert second_reader(EngineConfig()).read([crop])[0].text == "BELUM KAWIN 17-08-1990"


def _rendered_line(value: str) -> tuple[np.ndarray, Line]:
    """A card frame printing `Kecamatan : value`, and the value's line box."""
    image = Image.new("L", (1000, 630), 225)
    draw, font = ImageDraw.Draw(image), _font(font_pairs()[0][0], 22)
    draw.text((30, 300), "Kecamatan", font=font, fill=35)
    draw.text((240, 300), f": {value}", font=font, fill=35)
    x0, y0, x1, y1 = draw.textbbox((240, 300), f": {value}", font=font)
    return np.asarray(image), Line("", 0.0, x0 - 3, y0 - 4, x1 + 3, y1 + 4)


def _after_second_opinion(printed: str, first: str, confidence: float):
    """The district line printing `printed`, read by Tesseract as `first`: parsed before and
    after the second opinion (real readers), and the keys the readers disputed."""
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.secondopinion import second_opinion

    gray, value = _rendered_line(printed)
    value.text, value.confidence = first, confidence
    label = Line("Kecamatan", 0.95, 30, value.y0, 160, value.y1)
    rows = group_rows([label, value])
    before = parse_ktp(rows)
    after, disputed = second_opinion(parse_ktp(rows), gray, lambda: parse_ktp(rows), EngineConfig())
    return before, after, disputed


@pytest.mark.slow
def test_free_text_the_second_reader_and_a_tesseract_re_read_agree_on_is_taken() -> None:
    # Tesseract's first reading of the soft line was a scrap, and unsure.
    before, after, disputed = _after_second_opinion("PURWODADI", ": ODAD", 0.5)
    assert "district" not in before.fields  # 0.5 is under the free-text floor
    assert after.fields["district"] == "PURWODADI"
    assert not disputed


@pytest.mark.slow
def test_a_tesseract_re_read_that_says_something_else_is_no_agreement() -> None:
    from ocr_gpu.engine.secondopinion import _tesseract_agrees

    gray, value = _rendered_line("PURWODADI")
    assert _tesseract_agrees(gray, value, "PURWODADI")
    assert not _tesseract_agrees(gray, value, "PURWODADA")
    assert not _tesseract_agrees(gray, value, "")


@pytest.mark.slow
def test_a_sure_reading_that_dropped_part_of_its_line_gets_a_second_opinion() -> None:
    # Tesseract sure of a scrap: four characters for a box ten characters wide.
    before, after, _ = _after_second_opinion("GUNUNGSARI", ": G GSAR", 0.91)
    assert before.fields["district"] == "G GSAR"
    assert after.fields["district"] == "GUNUNGSARI"


def test_where_tesseract_and_the_second_reader_differ_any_two_recognizers_agreeing_decide() -> None:
    from ocr_gpu.engine.secondopinion import _agreement

    blank = np.full((630, 1000), 230, np.uint8)  # Tesseract reads nothing off it again
    line = Line("SIDOREJO", 0.5, 240, 300, 400, 330)
    # The second reader on the plain crop, or the third recognizer, says what Tesseract said.
    assert _agreement(blank, line, "SIDOREIO", "SIDOREJO", "S1D0REJ0") == "SIDOREJO"
    assert _agreement(blank, line, "SIDOREIO", "SDOREIO", "SIDOREJO") == "SIDOREJO"
    # The third recognizer says what the second reader said, on either crop.
    line.text = "DOREJO"
    assert _agreement(blank, line, "SIDOREJO", "SIDORFJO", "SIDOREJO") == "SIDOREJO"
    assert _agreement(blank, line, "SIDORFJO", "SIDOREJO", "SIDOREJO") == "SIDOREJO"
    # No two agree: nothing is taken.
    assert _agreement(blank, line, "SIDOREJO", "SIDORFJO", "SLDOREJO") is None
    # The third recognizer agreeing with the second reader: the second's reading, with its
    # spacing (PP-OCRv4 rec runs `GG. CEMPAKA NO. 102` together as `GG.CEMPAKA NO.102`).
    line.text = "1 GG. CEMPAKA NO, 102"
    both = ": GG. CEMPAKA NO. 102"
    assert _agreement(blank, line, both, both, ":GG.CEMPAKA NO.102") == both
    assert _agreement(blank, line, "GG. CEMPAKA N0. 102", both, ":GG.CEMPAKA NO.102") == both
    # PP-OCRv4 rec drops the spaces of Latin print: its letters agreeing with the second
    # reader's are agreement, and the second reader's spaces are kept.
    line.text = "EK0 WIBOW"
    assert _agreement(blank, line, "EKO WIBOWO", "EKD WIBOWO", "EKOWIBOWO") == "EKO WIBOWO"
    assert _agreement(blank, line, "EKO WIBOWO", "EKD WIBOWO", "EKOWIBOW0") is None
    # The same letters spaced apart otherwise by Tesseract and the second reader: the spacing
    # is disputed, and only the second reader's other look siding with Tesseract settles it.
    line.text = "HALMAHERA TENGAH"
    assert _agreement(blank, line, "HALMAHERATENGAH", "HALMAHERATENGAH", "HALMAHERATENGAH") is None
    assert _agreement(blank, line, "HALMAHERATENGAH", "HALMAHERA TENGAH", "HALMAHERATENGAH") == line.text
    # Two against two is a tie: the second reader on both crops against Tesseract and the third.
    line.text = "BTUNG"
    assert _agreement(blank, line, "BITUNG", "BITUNG", "BTUNG") is None
    assert _agreement(blank, line, "BITUNG", "BITUNC", "BTUNG") == "BTUNG"


@pytest.mark.slow
def test_the_third_recognizer_reads_a_rendered_line() -> None:
    from ocr_gpu.engine.second import third_reader

    image = Image.new("L", (500, 60), 220)
    ImageDraw.Draw(image).text((10, 15), "KEDUNGWUNI", font=_font(font_pairs()[0][0], 22), fill=30)
    crop = crop_line(np.asarray(image), 8, 12, 200, 42)
    assert third_reader(EngineConfig()).read([crop])[0].text == "KEDUNGWUNI"


def test_an_address_reading_an_rt_or_rw_past_99_is_unsure() -> None:
    from ocr_gpu.engine.secondopinion import _implausible_rt_rw

    assert _implausible_rt_rw("JL. SUDIRMAN NO. 5 RT 613 RW 003")
    assert _implausible_rt_rw("GG. MELATI RT 003 RW: 100")
    assert not _implausible_rt_rw("JL. SUDIRMAN NO. 5 RT 013 RW 003")
    assert not _implausible_rt_rw("PERUM GRIYA BLOK C NO. 140")  # a house number is no RT


@pytest.mark.slow
def test_an_unsure_registration_date_misread_as_another_valid_date_is_not_passed_on() -> None:
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.npwp import parse_npwp
    from ocr_gpu.engine.secondopinion import second_opinion, settle_disputes

    image = Image.new("L", (1000, 630), 225)
    draw, font = ImageDraw.Draw(image), _font(font_pairs()[0][0], 22)
    printed = "Tanggal Terdaftar : 02-08-2015"
    draw.text((60, 560), printed, font=font, fill=35)
    x0, y0, x1, y1 = draw.textbbox((60, 560), printed, font=font)
    gray = np.asarray(image)

    def after(first: str) -> dict[str, str]:
        line = Line(first, 0.89, x0 - 3, y0 - 4, x1 + 3, y1 + 4)
        rows = group_rows([Line("NPWP : 09.254.294.3-407.000", 0.95, 60, 195, 400, 225), line])
        parsed, disputed = second_opinion(parse_npwp(rows), gray, lambda: parse_npwp(rows), EngineConfig())
        return settle_disputes(parsed, disputed).fields

    # 02-06-2015 is as valid a date as the printed one: only two readers agreeing pass it on.
    assert after("TANGGAL TERDAFTAR : 02-06-2015").get("registered_date") != "2015-06-02"
    assert after("TANGGAL TERDAFTAR : 02-08-2015")["registered_date"] == "2015-08-02"


# Synthetic: Kabupaten Dompu (5205), district 32, a man born 13-01-1964, serial 2789.
_NIK = "5205321301642789"


def _birth_weighed(first: str, second: str, sure: float = 0.95):
    """A KTP's NIK and birth line read by Tesseract as `first`, weighed against `second`
    (read `sure` sure)."""
    from ocr_gpu.engine.secondopinion import _weigh_birth, settle_disputes

    cells = [("NIK", 30, 100), (f": {_NIK}", 240, 100), ("Tempat/Tgl Lahir", 30, 132), (first, 240, 132)]
    lines = [Line(text, 0.7, x, y, x + 12 * len(text), y + 24) for text, x, y in cells]
    rows = group_rows(lines)
    line = parse_ktp(rows).lines_of["birth"][0]
    weighed, disputed = _weigh_birth(parse_ktp(rows), line, second, sure, lambda: parse_ktp(rows))
    # What a later re-parse reads (the line keeps the reading taken), then the disputes settled.
    return settle_disputes(parse_ktp(rows), disputed), weighed


def test_a_birth_date_both_readers_read_is_taken_though_they_read_the_place_differently() -> None:
    parsed, _ = _birth_weighed(": INORAGIRI HILIR, 13-01-1964", "INDRAGIRI HIUIR, 13-01-1964")
    assert parsed.fields["birth_date"] == "1964-01-13"
    assert "birth_place" not in parsed.fields
    assert "birth_place_readers_disagree" in {check["code"] for check in parsed.checks}


def test_a_birth_place_only_the_unsure_second_reader_gives_is_not_taken() -> None:
    # Tesseract read nothing of the line; the second reader reads a place and a date.
    parsed, _ = _birth_weighed(": ~ -", "PALANGKA AAIA, 13-01-1964", sure=0.91)
    assert parsed.fields["birth_date"] == "1964-01-13"  # the NIK's own date: the date's check
    assert "birth_place" not in parsed.fields
    assert "birth_place_readers_disagree" in {check["code"] for check in parsed.checks}
    sure, _ = _birth_weighed(": ~ -", "PALANGKA RAYA, 13-01-1964", sure=0.97)
    assert sure.fields["birth_place"] == "PALANGKA RAYA"


def test_of_two_birth_dates_read_the_one_the_nik_encodes_is_taken() -> None:
    for first, second in [
        (": DOMPU, 19-01-1964", "DOMPU, 13-01-1964"),
        (": DOMPU, 13-01-1964", "DOMPU, 19-01-1964"),
    ]:
        parsed, _ = _birth_weighed(first, second)
        assert parsed.fields["birth_date"] == "1964-01-13", (first, second)
        assert parsed.fields["birth_place"] == "DOMPU"
        assert not parsed.checks, (first, second)


def test_two_birth_dates_neither_of_which_the_nik_encodes_give_no_date_and_a_reason() -> None:
    parsed, weighed = _birth_weighed(": DOMPU, 19-01-1964", "DOMPU, 18-01-1964")
    for fields in (parsed.fields, weighed.fields):
        assert "birth_date" not in fields and fields["birth_place"] == "DOMPU"
    codes = {check["code"] for check in parsed.checks}
    assert "birth_date_readers_disagree" in codes and "nik_birth_date_mismatch" not in codes


def test_birth_readings_that_agree_are_taken_as_read() -> None:
    parsed, _ = _birth_weighed(": DOMPU, 13-01-1964", "DOMPU. 13-01-1964")
    assert (parsed.fields["birth_place"], parsed.fields["birth_date"]) == ("DOMPU", "1964-01-13")
    assert not parsed.checks


def test_a_gender_is_read_from_its_first_word_when_the_blood_type_label_is_unreadable() -> None:
    def gender(text: str) -> str | None:
        rows = group_rows(
            [Line("Jenis Kelamin", 0.9, 30, 100, 190, 124), Line(text, 0.9, 240, 100, 500, 124)]
        )
        return parse_ktp(rows).fields.get("gender")

    assert gender(": PEREMPUAN Gh Daru a8") == "FEMALE"
    assert gender(": LAKI LAKI Gh Daru") == "MALE"
    assert gender(": PEREMPUAN Gol. Darah: A") == "FEMALE"
    assert gender(": Z Gh Daru a8") is None


def test_lines_are_batched_only_with_lines_of_about_their_width() -> None:
    from ocr_gpu.engine.second import _by_width

    assert _by_width([100, 960, 110, 500, 120, 130]) == [[0, 2, 4], [5], [3], [1]]
    assert _by_width([]) == []


@pytest.mark.slow
def test_a_line_reads_the_same_whatever_else_the_card_sends_with_it() -> None:
    from ocr_gpu.engine.second import second_reader

    def rendered(text: str) -> np.ndarray:
        image = Image.new("L", (40 + 14 * len(text), 60), 220)
        ImageDraw.Draw(image).text((10, 15), text, font=_font(font_pairs()[0][0], 22), fill=30)
        return crop_line(np.asarray(image), 8, 12, image.width - 10, 42)

    short, long = rendered("WNI"), rendered("JL. PAHLAWAN BLOK A9 NO. 54 RT 002 RW 007")
    reader = second_reader(EngineConfig())
    alone = reader.read([short])[0]
    together = reader.read([long, short, long])
    assert together[1] == alone and alone.text == "WNI"
    assert together[0] == together[2] == reader.read([long])[0]


@pytest.mark.slow
def test_a_sure_reading_that_fails_its_check_gets_a_second_opinion() -> None:
    """`wnt` at 0.85 for WNI: Tesseract sure, no nationality; the second reader, sure, reads it."""
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.secondopinion import second_opinion

    image = Image.new("L", (1000, 630), 225)
    draw, font = ImageDraw.Draw(image), _font(font_pairs()[0][0], 22)
    draw.text((30, 300), "Kewarganegaraan", font=font, fill=35)
    draw.text((240, 300), ":", font=font, fill=35)
    draw.text((262, 300), "WNI", font=font, fill=35)
    x0, y0, x1, y1 = draw.textbbox((262, 300), "WNI", font=font)
    label = Line("Kewarganegaraan", 0.95, 30, y0 - 4, 200, y1 + 4)
    rows = group_rows([label, Line("wnt", 0.85, x0 - 3, y0 - 4, x1 + 3, y1 + 4)])
    before = parse_ktp(rows)
    assert "nationality" not in before.fields
    after, _ = second_opinion(parse_ktp(rows), np.asarray(image), lambda: parse_ktp(rows), EngineConfig())
    assert after.fields["nationality"] == "WNI"


@pytest.mark.slow
def test_the_onnx_readers_read_the_line_as_photographed(monkeypatch: pytest.MonkeyPatch) -> None:
    # PP-OCRv6 was trained on plain crops: on soft photos it misread Tesseract's flattened and
    # stretched crop (PURWODADK) where it read the line as photographed right. The flattened
    # crop is only its second look, where its first reading and Tesseract's differ.
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    import ocr_gpu.engine.second as second

    seen: list[np.ndarray] = []
    real = second.second_reader

    class Spy:
        def __init__(self, config: EngineConfig) -> None:
            self.reader = real(config)

        def read(self, crops: list[np.ndarray]) -> list:
            seen.extend(crops)
            return self.reader.read(crops)

        def read_frames(self, crops: list[np.ndarray]) -> list:
            seen.extend(crops)
            return self.reader.read_frames(crops)

        @property
        def alphabet(self) -> object:
            return self.reader.alphabet

    monkeypatch.setattr(second, "second_reader", Spy)
    gray, value = _rendered_line("PURWODADI")
    gray = (gray // 3 + 120).astype(np.uint8)  # faint print: stretching would change it
    value.text, value.confidence = ": PURWODAD", 0.5
    rows = group_rows([Line("Kecamatan", 0.95, 30, value.y0, 160, value.y1), value])
    from ocr_gpu.engine.secondopinion import second_opinion

    after, _ = second_opinion(parse_ktp(rows), gray, lambda: parse_ktp(rows), EngineConfig())
    first = seen[0]
    top, left = int(value.y0 - 0.12 * value.height), int(value.x0 - 0.25 * value.height)
    assert np.array_equal(first, gray[top : top + first.shape[0], left : left + first.shape[1]])
    assert first.shape[1] >= value.x1 - value.x0 + 0.5 * value.height  # room for a thin last letter
    assert after.fields["district"] == "PURWODADI"


def _occupation_after_second_opinion(printed: str, first: str, confidence: float):
    """The occupation line printing `printed`, read by Tesseract as `first`, before and after."""
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.secondopinion import second_opinion

    image = Image.new("L", (1000, 630), 225)
    draw, font = ImageDraw.Draw(image), _font(font_pairs()[0][0], 22)
    draw.text((30, 300), "Pekerjaan", font=font, fill=35)
    draw.text((240, 300), f": {printed}", font=font, fill=35)
    x0, y0, x1, y1 = draw.textbbox((240, 300), f": {printed}", font=font)
    value = Line(first, confidence, x0 - 3, y0 - 4, x1 + 3, y1 + 4)
    rows = group_rows([Line("Pekerjaan", 0.95, 30, value.y0, 150, value.y1), value])
    before = parse_ktp(rows)
    after, _ = second_opinion(parse_ktp(rows), np.asarray(image), lambda: parse_ktp(rows), EngineConfig())
    return before, after


@pytest.mark.slow
def test_an_unsure_occupation_line_gets_a_second_opinion() -> None:
    before, after = _occupation_after_second_opinion("WIRASWASTA", "VTBASWASTA", 0.0)
    assert "occupation" not in before.fields
    assert after.fields["occupation"] == "WIRASWASTA"


@pytest.mark.slow
def test_an_occupation_off_the_list_is_not_taken_from_the_second_reader_alone() -> None:
    # A card may print an occupation the list lacks: kept as printed only when read surely,
    # it is free text, and one unsure reading of it is no value.
    before, after = _occupation_after_second_opinion("JURU MASAK KAPAL", "JUKU MASAK KAPAI", 0.5)
    assert "occupation" not in before.fields
    assert "occupation" not in after.fields
