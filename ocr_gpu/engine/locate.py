"""Stage 2, locate: find the card in the photo and flatten it to the card frame.

`locate` finds the best-supported outline and keeps the runners-up; `settle` holds every
fallback in one place, each judged by the text the detector sees on the flattened card.
When the print runs off the card or slopes, the runner-up outlines, the outline 8 %
wider and the whole photo are tried in turn and the first on which the print lies
inside the frame, level and spread over the card is taken (none: the one that comes
nearest); print that still slopes is levelled by the card's own text lines.
"""

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.decode import MIN_CARD_WIDTH, Unreadable
from ocr_gpu.engine.detect import Detector, TextMap, detect, text_map
from ocr_gpu.engine.frame import CARD_H, CARD_W
from ocr_gpu.engine.geometry import card_matrix, card_width, far_outlines, outlines, photo_matrix, warp, widen
from ocr_gpu.engine.levelling import Stroke, is_askew, levelling, strokes, tilt
from ocr_gpu.engine.quality import measure_quality

# Variance of the Laplacian on the flattened card: hard test photos measure 4+, a 3-px blur ~1.5.
# It also falls with contrast (a card in shadow reads at 2.9): below it a card that reads as
# no card is called blurred (pipeline), but it is read first.
MIN_SHARPNESS = 3.0
_RUNNERS_UP = 2  # outlines tried when the best one's print runs off or slopes
# A KTP or NPWP prints a dozen lines and more: an outline showing fewer holds desk, the photo
# panel, or a shadowed part of the card, not the card.
_FEWEST_LINES = 4
# Print sloping more than this in a whole-photo frame runs down the photo, not across it.
_SIDEWAYS_DEG = 60.0


@dataclass(frozen=True)
class Located:
    image: np.ndarray  # the decoded photo
    quad: np.ndarray | None  # the card's corners in it, None for the whole photo
    matrix: np.ndarray  # photo -> card frame
    card: np.ndarray  # the card flattened to CARD_W x CARD_H, RGB
    quality: dict[str, float]
    others: tuple[np.ndarray, ...] = ()  # runner-up outlines, best first
    # The photo showed an outline of a card's size (this may be the whole photo all the same,
    # read again after that outline's framing read as no card): no far card to look for.
    outlined: bool = False


def locate(image: np.ndarray) -> Located:
    """The card flattened; Unreadable when it is too small or blank to read."""
    found = outlines(image)
    quad = found[0].quad if found else None
    matrix = card_matrix(image, quad)
    card = warp(image, matrix)
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)
    quality = measure_quality(gray, card_width(quad, image))
    if quality["card_width_px"] < MIN_CARD_WIDTH:
        raise Unreadable(f"card too small in the image ({quality['card_width_px']:.0f} px wide)")
    if float(gray.std()) < 6:
        raise Unreadable("blank image: no text found")
    others = tuple(o.quad for o in found[1 : _RUNNERS_UP + 1])
    return Located(image, quad, matrix, card, quality, others, outlined=quad is not None)


def whole_photo(located: Located) -> Located:
    """The whole photo as the card's frame, with no outline to fall back to."""
    return _reframed(replace(located, others=()), card_matrix(located.image, None), None)


def _reframed(located: Located, matrix: np.ndarray, quad: np.ndarray | None) -> Located:
    return replace(located, quad=quad, matrix=matrix, card=warp(located.image, matrix))


def settle(located: Located, detector: Detector, config: EngineConfig) -> tuple[Located, TextMap]:
    """The card and its text map after the fallbacks its own print calls for."""
    found = text_map(detector, located.card, config.detect_long_side)
    lines = strokes(found.prob, found.sx, found.sy)
    if located.quad is not None and (found.touches_edge() or is_askew(lines) or len(lines) < _FEWEST_LINES):
        located, found = _other_outline(located, located.quad, found, lines, detector, config)
        lines = strokes(found.prob, found.sx, found.sy)
    far = located.quad is None and not located.outlined
    if far and (len(lines) < _FEWEST_LINES or _print_is_small(lines)):
        located, found, lines = _far_card(located, found, lines, detector, config)
    whole_photo = located.quad is None
    if whole_photo and _may_run_down(located.image, lines):
        # The card may lie sideways in the photo. The detector finds few of the lines running
        # down a page, and merges many: the photo given a quarter turn is kept when more of
        # its print runs across.
        turned = _reframed(located, photo_matrix(located.image, turned=True), None)
        again = text_map(detector, turned.card, config.detect_long_side)
        turned_lines = strokes(again.prob, again.sx, again.sy)
        if _across(turned_lines) > _across(lines):
            located, found, lines = turned, again, turned_lines
    if is_askew(lines) or (whole_photo and _print_is_small(lines)):
        levelled = _level(located, lines, whole_photo, detector, config)
        if levelled is not None:
            located, found = levelled
    return located, found


def _far_card(
    located: Located, found: TextMap, lines: list[Stroke], detector: Detector, config: EngineConfig
) -> tuple[Located, TextMap, list[Stroke]]:
    """A whole photo whose print is small or absent: the card may be far from the camera,
    too small for an outline of a card's size. Its outline is taken when its print shows
    fewer faults than the whole photo's."""
    best = (_trouble(found, lines), located, found, lines)
    for outline in far_outlines(located.image):
        trial = _reframed(located, card_matrix(located.image, outline.quad), outline.quad)
        # The quality numbers are the card's, not the whole photo's (its width above all).
        gray = cv2.cvtColor(trial.card, cv2.COLOR_RGB2GRAY)
        trial = replace(trial, quality=measure_quality(gray, card_width(outline.quad, located.image)))
        again = text_map(detector, trial.card, config.detect_long_side)
        trial_lines = strokes(again.prob, again.sx, again.sy)
        if _trouble(again, trial_lines) < best[0]:
            best = (_trouble(again, trial_lines), trial, again, trial_lines)
    return best[1], best[2], best[3]


def _trouble(found: TextMap, lines: list[Stroke]) -> tuple[int, int, int, float]:
    """What the print says is wrong with a framing, worst first: print running off the
    frame, little or no print (the outline holds desk, or only part of the card), print
    sloping, and by how much (90 degrees: the outline's long side is the card's short
    one). Tuples compare: the fewest and least faults first."""
    # Almost no print is worse than print covering little of the frame (a card far away).
    small = 2 if len(lines) < _FEWEST_LINES else int(_print_is_small(lines))
    median, _ = tilt(lines)
    return int(found.touches_edge()), small, int(is_askew(lines)), round(median, 1)


def _other_outline(
    located: Located,
    quad: np.ndarray,
    found: TextMap,
    lines: list[Stroke],
    detector: Detector,
    config: EngineConfig,
) -> tuple[Located, TextMap]:
    """The first framing its print finds no fault with, among the runner-up outlines, the
    outline 8 % wider (print running off the card) and the whole photo (print running off,
    or covering little of the frame: the outline is wrong in shape); none: the one with
    the fewest and least faults, the outline found first on a tie."""
    best = (_trouble(found, lines), located, found)
    wider = widen(quad, 0.08)
    cut, small = best[0][0] > 0, best[0][1] > 0
    trials: list[np.ndarray | None] = [
        *located.others,
        *([wider] if cut else []),
        *([None] if cut or small else []),
    ]
    for outline in trials:
        trial = _reframed(located, card_matrix(located.image, outline), outline)
        seen = text_map(detector, trial.card, config.detect_long_side)
        seen_lines = strokes(seen.prob, seen.sx, seen.sy)
        if outline is not None and outline is not wider and len(seen_lines) < 0.7 * len(lines):
            continue  # another region of the photo, not this card's print
        trouble = _trouble(seen, seen_lines)
        if outline is wider and trouble[0] == 0 and not _runs_past(seen, 0.08):
            # The print stops at the outline: the card's own edge cut it, the outline was right.
            return located, found
        if trouble < best[0]:
            best = (trouble, trial, seen)
        if not any(trouble[:3]):
            break
    return best[1], best[2]


def _runs_past(found: TextMap, share: float) -> bool:
    """Whether print in a frame widened by share reaches past the outline it was widened from."""
    inner = np.array([CARD_W, CARD_H]) * share / (2 * (1 + share))
    tolerance = 0.01 * CARD_W
    return any(
        b.x0 < inner[0] - tolerance
        or b.y0 < inner[1] - tolerance
        or b.x1 > CARD_W - inner[0] + tolerance
        or b.y1 > CARD_H - inner[1] + tolerance
        for b in detect(found)
    )


def _slopes(found: list[Stroke]) -> np.ndarray:
    """Each stroke's slope in degrees, 0 (across) to 90 (down)."""
    if not found:
        return np.zeros(0)
    return 90 - np.abs(np.rad2deg([s.angle for s in found]) % 180 - 90)


def _across(found: list[Stroke]) -> int:
    return int(np.sum(_slopes(found) < 90 - _SIDEWAYS_DEG))


def _may_run_down(image: np.ndarray, found: list[Stroke]) -> bool:
    """Whether a whole-photo frame's print may run down the photo: more of its lines do than
    run across, or the photo stands upright and shows too few lines running across."""
    down = int(np.sum(_slopes(found) > _SIDEWAYS_DEG))
    portrait = image.shape[0] > image.shape[1]
    return down > _across(found) or (portrait and _across(found) < _FEWEST_LINES)


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
