"""A line read as one entry of a closed list from the second reader's character probabilities.

The CTC arithmetic on frames made by hand; the rule on lines rendered and read by the real
PP-OCRv6 recognizer: an entry only when it is clearly the line's text. No Django.
"""

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from cardgen.cardart import _font, font_pairs
from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.ktp import parse_ktp
from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.lexicon import Alphabet, entry_of, log_likelihood

_CHARACTERS = ("", "W", "N", "I", "A", ":", "w", " ")
_ALPHABET = Alphabet.of(_CHARACTERS)


def _frames(*rows: dict[str, float]) -> np.ndarray:
    """Per-frame probabilities from {character: p}; what is left goes to the blank."""
    frames = np.zeros((len(rows), len(_CHARACTERS)))
    for t, row in enumerate(rows):
        for character, p in row.items():
            frames[t, _CHARACTERS.index(character)] = p
        frames[t, 0] = 1.0 - sum(row.values())
    return frames


def test_the_probability_of_a_text_sums_its_alignments() -> None:
    sure = _frames({":": 1.0}, {}, {"W": 1.0}, {"N": 1.0}, {}, {"I": 1.0}, {})
    assert log_likelihood(sure, _ALPHABET, "WNI") == pytest.approx(0.0, abs=1e-9)
    assert log_likelihood(sure, _ALPHABET, "WNA") < -60
    # Upper and lower case are one letter: `w` read for W still counts for it.
    cased = _frames({"w": 0.6, "W": 0.4}, {"N": 1.0}, {"I": 1.0})
    assert log_likelihood(cased, _ALPHABET, "WNI") == pytest.approx(0.0, abs=1e-9)
    # A last frame torn between I and A: each entry has exactly its share.
    torn = _frames({"W": 1.0}, {"N": 1.0}, {"I": 0.7, "A": 0.3})
    assert np.exp(log_likelihood(torn, _ALPHABET, "WNI")) == pytest.approx(0.7)
    assert np.exp(log_likelihood(torn, _ALPHABET, "WNA")) == pytest.approx(0.3)
    # A letter held over two frames is one letter; the same letter twice needs a blank between.
    held = _frames({"W": 1.0}, {"W": 1.0}, {"N": 1.0}, {"I": 1.0})
    assert log_likelihood(held, _ALPHABET, "WNI") == pytest.approx(0.0, abs=1e-9)
    assert log_likelihood(held, _ALPHABET, "WWNI") < -60
    assert log_likelihood(held, _ALPHABET, "WXI") == float("-inf")  # a letter it cannot read


def test_an_entry_is_taken_only_when_clearly_more_probable_than_every_other() -> None:
    entries = ("WNI", "WNA")
    clear = _frames({"W": 1.0}, {"N": 1.0}, {"I": 0.999, "A": 0.001})
    assert entry_of(clear, _ALPHABET, entries) == ("WNI", pytest.approx(0.999))
    torn = _frames({"W": 1.0}, {"N": 1.0}, {"I": 0.9, "A": 0.1})  # 9 to 1 is no clear reading
    assert entry_of(torn, _ALPHABET, entries) is None
    faint = _frames({"W": 0.2}, {"N": 0.2}, {"I": 0.2})  # 0.8 % likely: something else
    assert entry_of(faint, _ALPHABET, entries) is None
    lost = _frames({"W": 1.0}, {"N": 1.0}, {})  # the last letter lost: both fit alike
    assert entry_of(lost, _ALPHABET, entries) is None


def _rendered(
    value: str, size: int, blur: float, font: int = 0, noise: float = 0.0
) -> tuple[np.ndarray, Line]:
    """A line `: value` on paper, rendered at 3x and shrunk, blurred and noised; its box."""
    scale = 3
    image = Image.new("L", (400 * scale, 80 * scale), 200)
    draw = ImageDraw.Draw(image)
    pen = _font([*(p[0] for p in font_pairs()), *(p[1] for p in font_pairs())][font], size * scale)
    draw.text((20 * scale, 20 * scale), f": {value}", font=pen, fill=90)
    x0, y0, x1, y1 = (v / scale for v in draw.textbbox((20 * scale, 20 * scale), f": {value}", font=pen))
    gray = cv2.resize(np.asarray(image), (400, 80), interpolation=cv2.INTER_AREA).astype(np.float32)
    gray = cv2.GaussianBlur(gray, (0, 0), blur) if blur else gray
    gray = gray + np.random.default_rng(0).normal(0, noise, gray.shape) if noise else gray
    return np.clip(gray, 0, 255).astype(np.uint8), Line("", 0.0, x0 - 3, y0 - 4, x1 + 3, y1 + 4)


@pytest.mark.slow
@pytest.mark.parametrize("printed", ["WNI", "WNA"])
@pytest.mark.parametrize(("size", "blur"), [(20, 0.0), (14, 1.6), (12, 1.8)])
def test_a_printed_entry_reads_as_itself(printed: str, size: int, blur: float) -> None:
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.second import second_reader
    from ocr_gpu.engine.secondopinion import _plain_crop

    reader = second_reader(EngineConfig())
    gray, line = _rendered(printed, size, blur)
    ((_, frames),) = reader.read_frames([_plain_crop(gray, line)])
    found = entry_of(frames, reader.alphabet, ("WNI", "WNA"))
    assert found is not None and found[0] == printed


@pytest.mark.slow
@pytest.mark.parametrize("printed", ["WN", "BUDDHA", "W I"])
def test_a_line_printing_no_entry_or_a_part_shared_by_two_reads_as_none(printed: str) -> None:
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.second import second_reader
    from ocr_gpu.engine.secondopinion import _plain_crop

    reader = second_reader(EngineConfig())
    for size, blur in ((20, 0.0), (14, 1.2), (12, 1.8)):
        gray, line = _rendered(printed, size, blur)
        ((_, frames),) = reader.read_frames([_plain_crop(gray, line)])
        assert entry_of(frames, reader.alphabet, ("WNI", "WNA")) is None


@pytest.mark.slow
def test_a_soft_nationality_line_that_no_reading_gives_is_read_from_the_list() -> None:
    # Tesseract read the soft bold `WNI` as `we`, the second reader as `WN)` on this machine;
    # WNI is over 100 times as probable as WNA in the second reader's frames.
    pytest.importorskip("rapidocr", reason="the carrier of PP-OCRv6 rec")
    from ocr_gpu.engine.secondopinion import second_opinion

    gray, value = _rendered("WNI", 12, 1.4, font=3, noise=8.0)
    value.text, value.confidence = "we", 0.76
    label = Line("Kewarganegaraan", 0.9, 0, value.y0, 10, value.y1)
    rows = group_rows([label, value])
    assert "nationality" not in parse_ktp(rows).fields
    after, _ = second_opinion(parse_ktp(rows), gray, lambda: parse_ktp(rows), EngineConfig())
    assert after.fields["nationality"] == "WNI"
