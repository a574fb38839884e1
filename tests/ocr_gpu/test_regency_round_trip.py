"""Every regency and city of the full list, printed as a KTP header prints it, reads back as itself.

Real Tesseract on line crops of rendered cards (fourteen names a card), then the engine's
header reading: a name may only come back as itself, never as another regency, and never
be lost. No Django.
"""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cardgen.cardart import _font, font_pairs
from idnumbers.regions import REGENCIES
from ocr_gpu.engine.ktpheader import regency_name
from ocr_gpu.engine.linecrops import crop_line
from ocr_gpu.engine.recognize import line_reader

pytestmark = pytest.mark.slow
_PER_CARD, _PITCH = 14, 42


def _cards(names: list[str]):
    """(name, card image, its line box) for every name, fourteen names to a 1000 x 630 card."""
    bold = _font(font_pairs()[0][1], 27)
    for start in range(0, len(names), _PER_CARD):
        image = Image.new("L", (1000, 630), 225)
        draw = ImageDraw.Draw(image)
        placed = []
        for row, name in enumerate(names[start : start + _PER_CARD]):
            x, y = 500 - draw.textlength(name, font=bold) / 2, 24 + row * _PITCH
            draw.text((x, y), name, font=bold, fill=30)
            placed.append((name, draw.textbbox((x, y), name, font=bold)))
        gray = np.asarray(image)
        for name, box in placed:
            yield name, gray, box


def test_every_regency_name_is_read_back_as_itself() -> None:
    names = sorted(set(REGENCIES.values()))
    assert len(names) == 514
    reader, wrong = line_reader(), []
    for name, gray, (x0, y0, x1, y1) in _cards(names):
        text = reader.read(crop_line(gray, x0, y0, x1, y1)).text
        if regency_name(text) != name:
            wrong.append((name, text, regency_name(text)))
    assert wrong == []
