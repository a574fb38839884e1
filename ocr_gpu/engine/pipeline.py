"""One card, end to end: decode, find and flatten the card, detect lines, read, parse."""

import time

import cv2
import numpy as np

from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.detect import LineBox, boxes_from_probability, load_detector, probability_map
from ocr_gpu.engine.geometry import CARD_H, CARD_W, card_matrix, card_width, find_card, rectify, warp, widen
from ocr_gpu.engine.layout import Line, group_rows
from ocr_gpu.engine.levelling import Stroke, is_askew, levelling, strokes, tilt
from ocr_gpu.engine.linecrops import crop_line
from ocr_gpu.engine.parsing import parse_fields
from ocr_gpu.engine.quality import measure_quality
from ocr_gpu.engine.reading import CardReading
from ocr_gpu.engine.recognize import LineReader, line_reader

_MAX_SIDE = 2400  # larger photos are shrunk first: the card never needs more pixels than this
MIN_CARD_WIDTH = 260  # below this the print is a few pixels high: nothing can read it
MIN_SHARPNESS = (
    3.0  # variance of the Laplacian on the flattened card: hard test photos measure 4+, a 3-px blur ~1.5
)
_PROBE_LINES, _UPRIGHT_CONFIDENCE = 3, 0.8


class Unreadable(Exception):
    """The image is not a card we can read; the message is the reading's error."""


def _decode(image_bytes: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise Unreadable("not a decodable image")
    h, w = image.shape[:2]
    if min(h, w) < 100 or max(h, w) < MIN_CARD_WIDTH:
        raise Unreadable(f"image too small to read ({w}x{h} px)")
    scale = _MAX_SIDE / max(h, w)
    if scale < 1:
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _crop(gray: np.ndarray, box: LineBox) -> np.ndarray:
    return crop_line(gray, box.x0, box.y0, box.x1, box.y1)


def _flip(box: LineBox) -> LineBox:
    return LineBox(CARD_W - box.x1, CARD_H - box.y1, CARD_W - box.x0, CARD_H - box.y0, box.score)


def _orient(reader: LineReader, gray: np.ndarray, boxes: list[LineBox]) -> tuple[bool, dict[LineBox, tuple]]:
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


def _read_lines(reader: LineReader, gray: np.ndarray, boxes: list[LineBox]) -> list[Line]:
    upside_down, known = _orient(reader, gray, boxes)
    if upside_down:
        gray, boxes = gray[::-1, ::-1], [_flip(box) for box in boxes]
    lines = []
    for box in boxes:
        result = known.get(box) or reader.read(_crop(gray, box))
        lines.append(Line(result.text, result.confidence, box.x0, box.y0, box.x1, box.y1))
    return lines, upside_down, gray


def _touches_edge(boxes: list[LineBox]) -> bool:
    return any(b.x0 < 2 or b.y0 < 2 or b.x1 > CARD_W - 2 or b.y1 > CARD_H - 2 for b in boxes)


def _usable(boxes: list[LineBox]) -> list[LineBox]:
    # Print on these cards is 12-45 px high in the 1000 px frame; other blobs are art.
    return _without_colons([b for b in boxes if 10 <= b.y1 - b.y0 <= 70 and b.x1 - b.x0 >= 12])


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


def _print_is_small(found: list[Stroke]) -> bool:
    """Whether the print covers little of a frame that is the whole photo (a card far away)."""
    if not found:
        return False
    return max(s.x1 for s in found) - min(s.x0 for s in found) < 0.75 * CARD_W


def _level(
    image: np.ndarray,
    matrix: np.ndarray,
    found: list[Stroke],
    fit_print: bool,
    detector,
    config: EngineConfig,
) -> tuple[np.ndarray, list[LineBox]] | None:
    """The card flattened again so that its text lines are level, when that makes them straighter."""
    homography = levelling(found, fit_print)
    if homography is None:
        return None
    card = warp(image, homography @ matrix)
    prob, sx, sy = probability_map(detector, card, config.detect_long_side)
    if sum(tilt(strokes(prob, sx, sy))) > sum(tilt(found)) and not fit_print:
        return None
    return card, _usable(boxes_from_probability(prob, sx, sy))


def read_card(
    image_bytes: bytes, doc_type_hint: str | None = None, config: EngineConfig | None = None
) -> CardReading:
    config = config or EngineConfig()
    detector = load_detector(config)
    reading = CardReading(providers=list(detector.providers), gpu_processed=detector.gpu)
    timings, start = reading.timings_ms, time.perf_counter()
    try:
        _run(reading, image_bytes, doc_type_hint, config, detector)
    except Unreadable as problem:
        reading.doc_type, reading.error = "UNKNOWN", str(problem)
        reading.fields, reading.confidence = {}, {}
    timings["total"] = (time.perf_counter() - start) * 1000
    return reading


def _lap(timings: dict[str, float], stage: str, since: float) -> float:
    now = time.perf_counter()
    timings[stage] = timings.get(stage, 0.0) + (now - since) * 1000
    return now


def _run(reading: CardReading, data: bytes, hint: str | None, config: EngineConfig, detector) -> None:
    timings, mark = reading.timings_ms, time.perf_counter()
    image = _decode(data)
    mark = _lap(timings, "decode", mark)
    quad = find_card(image)
    card = rectify(image, quad)
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)
    reading.quality = measure_quality(gray, card_width(quad, image))
    mark = _lap(timings, "locate", mark)
    if reading.quality["card_width_px"] < MIN_CARD_WIDTH:
        raise Unreadable(f"card too small in the image ({reading.quality['card_width_px']:.0f} px wide)")
    if float(gray.std()) < 6:
        raise Unreadable("blank image: no text found")
    if reading.quality["sharpness"] < MIN_SHARPNESS:
        raise Unreadable(f"image too blurred to read (sharpness {reading.quality['sharpness']})")
    matrix = card_matrix(image, quad)
    prob, sx, sy = probability_map(detector, card, config.detect_long_side)
    boxes = _usable(boxes_from_probability(prob, sx, sy))
    if quad is not None and _touches_edge(boxes):
        # Print running off the flattened card: the outline was found too small. Look wider.
        matrix = card_matrix(image, widen(quad, 0.08))
        card = warp(image, matrix)
        prob, sx, sy = probability_map(detector, card, config.detect_long_side)
        boxes = _usable(boxes_from_probability(prob, sx, sy))
        if _touches_edge(boxes):
            # Still cut off: the outline is wrong in shape (a shadow edge taken for a side),
            # not in size. Take the whole photo; levelling below finds the print in it.
            quad, matrix = None, card_matrix(image, None)
            card = warp(image, matrix)
            prob, sx, sy = probability_map(detector, card, config.detect_long_side)
            boxes = _usable(boxes_from_probability(prob, sx, sy))
    found = strokes(prob, sx, sy)
    if is_askew(found) or (quad is None and _print_is_small(found)):
        card, boxes = _level(image, matrix, found, quad is None, detector, config) or (card, boxes)
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)
    mark = _lap(timings, "detect", mark)
    if len(boxes) < 3:
        timings.setdefault("recognize", 0.0)
        raise Unreadable("no text found")
    reader = line_reader()
    before = LineReader.calls
    lines, reading.upside_down, gray = _read_lines(reader, gray, boxes)
    reading.card_image = card[::-1, ::-1] if reading.upside_down else card
    mark = _lap(timings, "recognize", mark)
    parse_fields(reading, group_rows(lines), hint, gray)
    reading.tesseract_calls = LineReader.calls - before
    reading.lines = [
        {
            "text": ln.text,
            "confidence": round(ln.confidence, 3),
            "box": [round(v) for v in (ln.x0, ln.y0, ln.x1, ln.y1)],
        }
        for ln in lines
    ]
    _lap(timings, "parse", mark)
    if reading.doc_type == "UNKNOWN":
        raise Unreadable("not a KTP or NPWP: none of their labels were found")
