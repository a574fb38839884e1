"""A second recognizer for the lines Tesseract was unsure of: PP-OCRv6 rec on ONNX Runtime.

Tesseract stays the recognizer of record. Where its confidence on a key field's line is low,
this reader (the PP-OCRv6 small recognition model in the rapidocr 3.10 wheel, CUDA when
present, such lines of a card batched by width) reads the same crop; verify accepts a
value when both readers agree or when exactly one of them passes the field's own check.
CTC decoding and input normalisation follow the model's training ((x - 0.5) / 0.5, height
48); the character list is in the model's metadata.
"""

from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import ceil
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr_gpu.engine.assets import second_model_path, third_model_path
from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.lexicon import Alphabet
from ocr_gpu.engine.recognize import Recognized

if TYPE_CHECKING:
    import onnxruntime as ort

_HEIGHT, _MAX_WIDTH = 48, 960


# A batch is padded to its widest line, and the network reads the padding too: on the CPU,
# eight short lines batched with one address line took 2.5x as long as read one by one. Lines
# are batched only with lines of about their own width (the GPU still gets batches).
_BATCH_WIDTH_SPREAD = 1.25


def _by_width(widths: list[int]) -> list[list[int]]:
    """Indices of the lines in groups of about the same width, narrowest first."""
    groups: list[list[int]] = []
    for i in sorted(range(len(widths)), key=widths.__getitem__):
        if groups and widths[i] <= _BATCH_WIDTH_SPREAD * widths[groups[-1][0]]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


@dataclass(frozen=True)
class SecondReader:
    session: "ort.InferenceSession"
    characters: tuple[str, ...]  # index 0 is CTC's blank

    def read(self, crops: list[np.ndarray]) -> list[Recognized]:
        return [recognized for recognized, _ in self.read_frames(crops)]

    def read_frames(self, crops: list[np.ndarray]) -> list[tuple[Recognized, np.ndarray]]:
        """Each crop's reading and its per-frame character probabilities (the padding's cut off)."""
        if not crops:
            return []
        widths = [
            min(_MAX_WIDTH, max(_HEIGHT, ceil(_HEIGHT * c.shape[1] / max(c.shape[0], 1)))) for c in crops
        ]
        results: list[tuple[Recognized, np.ndarray] | None] = [None] * len(crops)
        for group in _by_width(widths):
            batch_width = max(widths[i] for i in group)
            batch = np.zeros((len(group), 3, _HEIGHT, batch_width), np.float32)
            for row, i in enumerate(group):
                resized = cv2.resize(crops[i], (widths[i], _HEIGHT), interpolation=cv2.INTER_LINEAR)
                batch[row, :, :, : widths[i]] = (resized.astype(np.float32) / 255.0 - 0.5) / 0.5
            session = self.session
            probabilities = session.run(None, {session.get_inputs()[0].name: batch})[0]
            for i, row_probabilities in zip(group, probabilities, strict=True):
                frames = row_probabilities[: ceil(len(row_probabilities) * widths[i] / batch_width)]
                results[i] = self._decode(row_probabilities), frames
        return [result for result in results if result is not None]

    @cached_property
    def alphabet(self) -> Alphabet:
        return Alphabet.of(self.characters)

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
