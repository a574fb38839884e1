"""Values that do not check out are read again from the card image. Real Tesseract, no Django."""

import cv2
import numpy as np
import pytest

from cardgen.cards import card_photo
from ocr_gpu.engine import read_card
from ocr_gpu.engine.geometry import find_card, rectify
from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.parse import parse_fields
from ocr_gpu.engine.reading import CardReading

pytestmark = pytest.mark.slow


def _card_lines_and_image(seed: int):
    card, photo = card_photo("KTP", "clean", seed=seed)
    first = read_card(photo)
    image = cv2.cvtColor(cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    gray = cv2.cvtColor(rectify(image, find_card(image)), cv2.COLOR_RGB2GRAY)
    return card, [Line(line["text"], line["confidence"], *line["box"]) for line in first.lines], gray


def test_a_misread_vocabulary_value_is_read_again_from_its_crop() -> None:
    card, lines, gray = _card_lines_and_image(11)
    garbled = {card.fields["nationality"]: "wa", card.fields["religion"]: "Si"}
    targets = [line for line in lines if line.text.strip(": ") in garbled]
    assert len(targets) == 2
    for line in targets:
        line.text = garbled[line.text.strip(": ")]

    without_image = CardReading()
    parse_fields(
        without_image,
        group_rows([Line(ln.text, ln.confidence, ln.x0, ln.y0, ln.x1, ln.y1) for ln in lines]),
        None,
        None,
    )
    assert "nationality" not in without_image.fields
    assert "religion" not in without_image.fields

    reading = CardReading()
    parse_fields(reading, group_rows(lines), None, gray)
    assert reading.fields["nationality"] == card.fields["nationality"]
    assert reading.fields["religion"] == card.fields["religion"]


def test_a_name_tesseract_was_unsure_of_is_read_again_and_the_surer_reading_kept() -> None:
    card, lines, gray = _card_lines_and_image(11)
    name_lines = [line for line in lines if line.text.strip(": ") == card.fields["name"]]
    assert len(name_lines) == 1
    name_lines[0].text, name_lines[0].confidence = "DEFAJAR 5ETIAWAN", 0.2
    reading = CardReading()
    parse_fields(reading, group_rows(lines), None, gray)
    assert reading.fields["name"] == card.fields["name"]
