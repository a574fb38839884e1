"""Text-line detection with a PP-OCR DBNet model (PP-OCRv4 or PP-OCRv6 det) on ONNX Runtime.

Pre- and post-processing are ours: resize to multiples of 32, ImageNet normalisation,
then the probability map is thresholded and each blob becomes a line box, grown back
by the margin DBNet's training shrank it by.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr_gpu.engine.assets import detection_model_path, detection_normalisation
from ocr_gpu.engine.config import EngineConfig, EngineConfigError
from ocr_gpu.engine.frame import CARD_H, CARD_W, LINE_HEIGHT, MIN_LINE_WIDTH

if TYPE_CHECKING:
    import onnxruntime as ort

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
_BIN_THRESHOLD, _BOX_THRESHOLD, _UNCLIP = 0.3, 0.5, 1.6


@dataclass(frozen=True)
class Detector:
    session: "ort.InferenceSession"
    providers: tuple[str, ...]
    mean: tuple[float, ...] = (0.485, 0.456, 0.406)
    std: tuple[float, ...] = (0.229, 0.224, 0.225)

    @property
    def gpu(self) -> bool:
        return CUDA in self.providers


@dataclass(frozen=True)
class LineBox:
    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@lru_cache(maxsize=4)
def load_detector(config: EngineConfig) -> Detector:
    """The process's detection session for this configuration, created on first use."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    wanted = [CUDA] if config.gpu_enabled and CUDA in available else []
    if config.gpu_enabled and not wanted and not config.autofallback:
        raise EngineConfigError(
            f"OCR_GPU_ENABLED is set but ONNX Runtime has no CUDA provider (available: {available}) "
            "and OCR_GPU_AUTOFALLBACK is false"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = config.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    model = detection_model_path(config.model_path)
    session = ort.InferenceSession(str(model), options, providers=[*wanted, CPU])
    # ONNX Runtime drops CUDA silently when its libraries fail to load: trust only what it reports.
    used = tuple(session.get_providers())
    if config.gpu_enabled and CUDA not in used and not config.autofallback:
        raise EngineConfigError(f"CUDA was requested but ONNX Runtime runs on {list(used)} only")
    mean, std = detection_normalisation(model)
    return Detector(session, used, mean, std)


def _prepare(detector: Detector, image: np.ndarray, long_side: int) -> tuple[np.ndarray, float, float]:
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    new_w, new_h = (max(32, round(v * scale / 32) * 32) for v in (w, h))
    resized = cv2.resize(
        image, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    mean, std = np.array(detector.mean, np.float32), np.array(detector.std, np.float32)
    blob = (resized.astype(np.float32) / 255.0 - mean) / std
    return blob.transpose(2, 0, 1)[None], w / new_w, h / new_h


@dataclass(frozen=True)
class TextMap:
    """DBNet's text probability map of the card and its scale back to the card frame."""

    prob: np.ndarray
    sx: float
    sy: float

    def boxes(self) -> list[LineBox]:
        return boxes_from_probability(self.prob, self.sx, self.sy)

    def touches_edge(self) -> bool:
        """Print running off the flattened card: its outline was found wrong."""
        return any(b.x0 < 2 or b.y0 < 2 or b.x1 > CARD_W - 2 or b.y1 > CARD_H - 2 for b in detect(self))


def text_map(detector: Detector, image: np.ndarray, long_side: int = 640) -> TextMap:
    return TextMap(*probability_map(detector, image, long_side))


def detect(found: TextMap) -> list[LineBox]:
    """Stage 3, detect: the card's text lines as boxes, art and lone colons left out."""
    low, high = LINE_HEIGHT
    boxes = [b for b in found.boxes() if low <= b.height <= high and b.x1 - b.x0 >= MIN_LINE_WIDTH]
    return _joined(_without_colons(boxes))


def _joined(boxes: list[LineBox]) -> list[LineBox]:
    """Boxes of one line that overlap, joined: DBNet can split a line inside a word
    (`JL. GATOT SU` + `SUBROTO GG. 12`), and each crop then reads the shared letters."""
    boxes = sorted(boxes, key=lambda box: box.x0)
    joined: list[LineBox] = []
    for box in boxes:
        for i, other in enumerate(joined):
            if box.x0 < other.x1 and abs(box.cy - other.cy) < 0.5 * min(box.height, other.height):
                joined[i] = LineBox(
                    min(other.x0, box.x0),
                    min(other.y0, box.y0),
                    max(other.x1, box.x1),
                    max(other.y1, box.y1),
                    max(other.score, box.score),
                )
                break
        else:
            joined.append(box)
    return joined


def _without_colons(boxes: list[LineBox]) -> list[LineBox]:
    """Without the KTP's colons found as boxes of their own, touching the value they precede.

    Read alone a colon is noise; worse, the value's crop then holds half of it and
    Tesseract gives up on the whole line.
    """

    def is_colon(box: LineBox) -> bool:
        return box.x1 - box.x0 < 1.6 * box.height and any(
            other is not box
            and abs(other.cy - box.cy) < 0.5 * other.height
            and other.x0 - box.x1 < 0.8 * other.height
            and other.x1 > box.x1 + other.height
            for other in boxes
        )

    return [box for box in boxes if not is_colon(box)]


def probability_map(
    detector: Detector, image: np.ndarray, long_side: int = 640
) -> tuple[np.ndarray, float, float]:
    """DBNet's text probability map of an RGB image and its scale back to the image (x, y)."""
    blob, sx, sy = _prepare(detector, image, long_side)
    session = detector.session
    return session.run(None, {session.get_inputs()[0].name: blob})[0][0, 0], sx, sy


def boxes_from_probability(prob: np.ndarray, sx: float = 1.0, sy: float = 1.0) -> list[LineBox]:
    bitmap = (prob > _BIN_THRESHOLD).astype(np.uint8)
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if min(w, h) < 3:
            continue
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [contour - [x, y]], 1)
        score = float(cv2.mean(prob[y : y + h, x : x + w], mask)[0])
        if score < _BOX_THRESHOLD:
            continue
        # DBNet is trained on boxes shrunk by area * (1 - r^2) / perimeter; grow them back.
        area, perimeter = cv2.contourArea(contour), cv2.arcLength(contour, True)
        grow = max(area, w * h * 0.6) * _UNCLIP / max(perimeter, 1.0)
        boxes.append(
            LineBox((x - grow) * sx, (y - grow) * sy, (x + w + grow) * sx, (y + h + grow) * sy, score)
        )
    return boxes
