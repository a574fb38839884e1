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
