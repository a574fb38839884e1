"""Preparing one detected line for Tesseract: colon column, glare. Real Tesseract, no Django."""

import cv2
import numpy as np
from PIL import Image, ImageDraw

from cardgen.cardart import _font, font_pairs
from ocr_gpu.engine.linecrops import crop_line, drop_leading_colon
from ocr_gpu.engine.recognize import line_reader


def _line(text: str, blur: float = 0.0) -> np.ndarray:
    """A gray card strip with one printed line, in the 1000-px frame's type size."""
    image = Image.new("L", (520, 40), 200)
    ImageDraw.Draw(image).text((20, 8), text, font=_font(font_pairs()[0][0], 21), fill=30)
    strip = np.asarray(image)
    return cv2.GaussianBlur(strip, (0, 0), blur) if blur else strip


def test_the_colon_in_front_of_a_value_is_cut_off() -> None:
    strip = _line(":   FAJAR SETIAWAN", blur=1.2)
    cut = drop_leading_colon(strip)
    assert cut.shape[1] < strip.shape[1] - 20
    assert line_reader().read(cut).text == "FAJAR SETIAWAN"


def test_a_value_starting_with_a_narrow_letter_keeps_it() -> None:
    for text in ("IRWAN PRATAMA", "1 LAKI-LAKI", "JL. MELATI"):
        strip = _line(text, blur=1.0)
        assert drop_leading_colon(strip).shape == strip.shape


def test_a_line_running_into_a_shadow_reads_whole() -> None:
    strip = _line(":   PEGAWAI NEGERI SIPIL", blur=1.0).astype(np.float32)
    shadow = np.linspace(0, 1, strip.shape[1])[None, :] ** 2 * 0.8
    crop = crop_line((strip * (1 - shadow)).astype(np.uint8), 15, 6, 330, 34)
    assert line_reader().read(crop).text == "PEGAWAI NEGERI SIPIL"
