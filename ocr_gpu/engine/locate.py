"""Stage 2, locate: find the card in the photo and flatten it to the card frame.

`locate` finds the outline; `settle` holds every fallback in one place, each judged by
the text the detector sees on the flattened card: print running off the card (outline
too small: look wider; still cut off: the outline is wrong in shape, take the whole
photo), and print that slopes (outline askew: level the card by its own text lines).
"""

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.decode import MIN_CARD_WIDTH, Unreadable
from ocr_gpu.engine.detect import Detector, TextMap, text_map
from ocr_gpu.engine.frame import CARD_W
from ocr_gpu.engine.geometry import card_matrix, card_width, find_card, warp, widen
from ocr_gpu.engine.levelling import Stroke, is_askew, levelling, strokes, tilt
from ocr_gpu.engine.quality import measure_quality

# Variance of the Laplacian on the flattened card: hard test photos measure 4+, a 3-px blur ~1.5.
MIN_SHARPNESS = 3.0


@dataclass(frozen=True)
class Located:
    image: np.ndarray  # the decoded photo
    quad: np.ndarray | None  # the card's corners in it, None for the whole photo
    matrix: np.ndarray  # photo -> card frame
    card: np.ndarray  # the card flattened to CARD_W x CARD_H, RGB
    quality: dict[str, float]


def locate(image: np.ndarray) -> Located:
    """The card flattened; Unreadable when it is too small, blank or blurred to read."""
    quad = find_card(image)
    matrix = card_matrix(image, quad)
    card = warp(image, matrix)
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)
    quality = measure_quality(gray, card_width(quad, image))
    if quality["card_width_px"] < MIN_CARD_WIDTH:
        raise Unreadable(f"card too small in the image ({quality['card_width_px']:.0f} px wide)")
    if float(gray.std()) < 6:
        raise Unreadable("blank image: no text found")
    if quality["sharpness"] < MIN_SHARPNESS:
        raise Unreadable(f"image too blurred to read (sharpness {quality['sharpness']})")
    return Located(image, quad, matrix, card, quality)


def _reframed(located: Located, matrix: np.ndarray, quad: np.ndarray | None) -> Located:
    return replace(located, quad=quad, matrix=matrix, card=warp(located.image, matrix))


def settle(located: Located, detector: Detector, config: EngineConfig) -> tuple[Located, TextMap]:
    """The card and its text map after the fallbacks its own print calls for."""
    found = text_map(detector, located.card, config.detect_long_side)
    if located.quad is not None and found.touches_edge():
        located = _reframed(located, card_matrix(located.image, widen(located.quad, 0.08)), located.quad)
        found = text_map(detector, located.card, config.detect_long_side)
        if found.touches_edge():
            located = _reframed(located, card_matrix(located.image, None), None)
            found = text_map(detector, located.card, config.detect_long_side)
    lines = strokes(found.prob, found.sx, found.sy)
    whole_photo = located.quad is None
    if is_askew(lines) or (whole_photo and _print_is_small(lines)):
        levelled = _level(located, lines, whole_photo, detector, config)
        if levelled is not None:
            located, found = levelled
    return located, found


def _print_is_small(found: list[Stroke]) -> bool:
    """Whether the print covers little of a frame that is the whole photo (a card far away)."""
    if not found:
        return False
    return max(s.x1 for s in found) - min(s.x0 for s in found) < 0.75 * CARD_W


def _level(
    located: Located, found: list[Stroke], fit_print: bool, detector: Detector, config: EngineConfig
) -> tuple[Located, TextMap] | None:
    """The card flattened again so that its text lines are level, when that makes them straighter."""
    homography = levelling(found, fit_print)
    if homography is None:
        return None
    levelled = _reframed(located, homography @ located.matrix, located.quad)
    again = text_map(detector, levelled.card, config.detect_long_side)
    if sum(tilt(strokes(again.prob, again.sx, again.sy))) > sum(tilt(found)) and not fit_print:
        return None
    return levelled, again
