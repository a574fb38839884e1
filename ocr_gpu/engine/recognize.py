"""Line recognition with Tesseract 5 (`ind+eng`, LSTM) through its in-process API.

tesserocr keeps one initialised TessBaseAPI per process: no process start and no
language loading per call, about 15 ms a line here, where a pytesseract call pays
~250 ms before it reads anything.
"""

import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ocr_gpu.engine.assets import tessdata_dir
from ocr_gpu.engine.detect import LineBox
from ocr_gpu.engine.frame import CARD_H, CARD_W
from ocr_gpu.engine.layout import Line
from ocr_gpu.engine.linecrops import crop_line

# Tesseract's OpenMP threads fight the worker processes for the same cores: 2.7-3.9x
# slower here. It reads the variable when the library loads, so set it before that.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LANGUAGES = "ind+eng"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Recognized:
    text: str
    confidence: float  # 0..1


class LineReader:
    """One Tesseract instance reading single-line images, shared by the process's threads."""

    calls = 0  # every read by every reader of the process, for the benchmark

    def __init__(self, whitelist: str = "") -> None:
        import tesserocr

        self._api = tesserocr.PyTessBaseAPI(
            path=str(tessdata_dir()),
            lang=LANGUAGES,
            psm=tesserocr.PSM.SINGLE_LINE,
            oem=tesserocr.OEM.LSTM_ONLY,
        )
        self._whitelist = whitelist
        if whitelist:
            self._api.SetVariable("tessedit_char_whitelist", whitelist)

    def read(self, gray: np.ndarray, allowed: str = "") -> Recognized:
        """Read one line from a grayscale uint8 crop, with only the `allowed` characters if given."""
        text, confidence = self._read(gray, False, allowed)
        if not text:
            # Single-line mode's layout pass drops short, soft lines as noise; the raw-line
            # mode skips that pass and reads most of them.
            text, confidence = self._read(gray, True, allowed)
        return Recognized(text, confidence)

    def _read(self, gray: np.ndarray, raw: bool, allowed: str) -> tuple[str, float]:
        import tesserocr

        crop = np.ascontiguousarray(gray)
        h, w = crop.shape
        with _LOCK:
            self._api.SetPageSegMode(tesserocr.PSM.RAW_LINE if raw else tesserocr.PSM.SINGLE_LINE)
            if allowed:
                self._api.SetVariable("tessedit_char_whitelist", allowed)
            self._api.SetImageBytes(crop.tobytes(), w, h, 1, w)
            text = self._api.GetUTF8Text()
            confidence = self._api.MeanTextConf()
            if allowed:
                self._api.SetVariable("tessedit_char_whitelist", self._whitelist)
            LineReader.calls += 1
        return " ".join(text.split()), max(confidence, 0) / 100.0


# Number lines (NIK, NPWP) are read again with only these characters allowed when the
# first reading does not give a well-formed number: the language model's words get in the way.
NUMBER_CHARACTERS = "0123456789.-:/NIKPW "


@lru_cache(maxsize=2)
def line_reader(whitelist: str = "") -> LineReader:
    return LineReader(whitelist)


_PROBE_LINES, _UPRIGHT_CONFIDENCE = 3, 0.8


def _crop(gray: np.ndarray, box: LineBox) -> np.ndarray:
    return crop_line(gray, box.x0, box.y0, box.x1, box.y1)


def _flip(box: LineBox) -> LineBox:
    return LineBox(CARD_W - box.x1, CARD_H - box.y1, CARD_W - box.x0, CARD_H - box.y0, box.score)


def _orient(
    reader: LineReader, gray: np.ndarray, boxes: list[LineBox]
) -> tuple[bool, dict[LineBox, Recognized]]:
    """Whether the card is upside down, judged by reading a few long lines both ways round."""
    probes = sorted(boxes, key=lambda b: -(b.x1 - b.x0))[:_PROBE_LINES]
    upright = {box: reader.read(_crop(gray, box)) for box in probes}
    score = float(np.mean([r.confidence for r in upright.values()]))
    if score >= _UPRIGHT_CONFIDENCE:
        return False, upright
    flipped = {box: reader.read(_crop(gray, box)[::-1, ::-1]) for box in probes}
    if float(np.mean([r.confidence for r in flipped.values()])) > score + 0.05:
        return True, {_flip(box): result for box, result in flipped.items()}
    return False, upright


def recognize(gray: np.ndarray, boxes: list[LineBox]) -> tuple[list[Line], bool, np.ndarray]:
    """Stage 4, recognize: every line read by Tesseract, the card turned upright if it was not.

    Returns the lines, whether the card was upside down, and the upright card.
    """
    reader = line_reader()
    upside_down, known = _orient(reader, gray, boxes)
    if upside_down:
        gray, boxes = gray[::-1, ::-1], [_flip(box) for box in boxes]
    lines = []
    for box in boxes:
        result = known.get(box) or reader.read(_crop(gray, box))
        lines.append(Line(result.text, result.confidence, box.x0, box.y0, box.x1, box.y1))
    return lines, upside_down, gray
