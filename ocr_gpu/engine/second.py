"""A second recognizer for the lines Tesseract was unsure of: PP-OCRv6 rec on ONNX Runtime.

Tesseract stays the recognizer of record. Where its confidence on a key field's line is low,
this reader (the PP-OCRv6 small recognition model in the rapidocr 3.10 wheel, CUDA when
present, all such lines of a card in one batch) reads the same crop; verify accepts a
value when both readers agree or when exactly one of them passes the field's own check.
CTC decoding and input normalisation follow the model's training ((x - 0.5) / 0.5, height
48); the character list is in the model's metadata.
"""

from dataclasses import dataclass
from functools import lru_cache
from math import ceil
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr_gpu.engine.assets import second_model_path, third_model_path
from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.recognize import Recognized

if TYPE_CHECKING:
    import onnxruntime as ort

_HEIGHT, _MAX_WIDTH = 48, 960


@dataclass(frozen=True)
class SecondReader:
    session: "ort.InferenceSession"
    characters: tuple[str, ...]  # index 0 is CTC's blank

    def read(self, crops: list[np.ndarray]) -> list[Recognized]:
        if not crops:
            return []
        widths = [
            min(_MAX_WIDTH, max(_HEIGHT, ceil(_HEIGHT * c.shape[1] / max(c.shape[0], 1)))) for c in crops
        ]
        batch = np.zeros((len(crops), 3, _HEIGHT, max(widths)), np.float32)
        for i, (crop, width) in enumerate(zip(crops, widths, strict=True)):
            resized = cv2.resize(crop, (width, _HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            batch[i, :, :, :width] = (resized / 255.0 - 0.5) / 0.5
        session = self.session
        probabilities = session.run(None, {session.get_inputs()[0].name: batch})[0]
        return [self._decode(row) for row in probabilities]

    def _decode(self, probabilities: np.ndarray) -> Recognized:
        best, score = probabilities.argmax(axis=1), probabilities.max(axis=1)
        kept = [i for i in range(len(best)) if best[i] != 0 and (i == 0 or best[i] != best[i - 1])]
        text = "".join(self.characters[best[i]] for i in kept if best[i] < len(self.characters))
        return Recognized(" ".join(text.split()), float(np.mean(score[kept])) if kept else 0.0)


def second_reader(config: EngineConfig) -> SecondReader:
    """PP-OCRv6 rec: the second opinion on lines Tesseract was unsure of."""
    return _reader(config, str(second_model_path()))


def third_reader(config: EngineConfig) -> SecondReader:
    """PP-OCRv4 rec (another training, another network): the tie-break where the two differ."""
    return _reader(config, str(third_model_path()))


@lru_cache(maxsize=4)
def _reader(config: EngineConfig, model: str) -> SecondReader:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = config.threads
    options.inter_op_num_threads = 1
    wanted = ["CUDAExecutionProvider"] if config.gpu_enabled else []
    available = [p for p in wanted if p in ort.get_available_providers()]
    session = ort.InferenceSession(model, options, providers=[*available, "CPUExecutionProvider"])
    characters = session.get_modelmeta().custom_metadata_map["character"].split("\n")
    return SecondReader(session, ("", *characters, " "))
