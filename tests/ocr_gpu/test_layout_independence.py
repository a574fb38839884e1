"""The parse does not depend on where a generator draws: the same card shifted, scaled, or
printed with another offset, font size and line spacing reads the same. Real OCR, no Django."""

import dataclasses

import cv2
import numpy as np
import pytest

from cardgen.cardart import draw_ktp
from cardgen.cards import make_ktp
from cardgen.styles import draw_style
from ocr_gpu.engine import read_card

pytestmark = pytest.mark.slow


def _png(face: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(face, cv2.COLOR_RGB2BGR))
    assert ok
    return encoded.tobytes()


def _moved(face: np.ndarray, scale: float, dx: float, dy: float) -> np.ndarray:
    """The card's print moved and resized inside the same card (paper colour around it)."""
    h, w = face.shape[:2]
    matrix = np.float32([[scale, 0, (1 - scale) * w / 2 + dx], [0, scale, (1 - scale) * h / 2 + dy]])
    paper = tuple(int(v) for v in face[h - 3, w // 2])
    return cv2.warpAffine(face, matrix, (w, h), flags=cv2.INTER_AREA, borderValue=paper)


@pytest.fixture(scope="module")
def card_and_face():
    rng = np.random.default_rng(41)
    card = make_ktp(rng, "clean")
    style = dataclasses.replace(draw_style(rng, "tuning"), size=21, left=32, top=100)
    return card, style, np.asarray(draw_ktp(card, rng, style))


def test_the_same_card_shifted_or_scaled_reads_the_same(card_and_face) -> None:
    card, _, face = card_and_face
    first = read_card(_png(face)).fields
    assert first == card.fields
    for scale, dx, dy in ((1.0, 40, 18), (1.0, -25, -12), (0.9, 0, 0), (0.88, 30, 14)):
        assert read_card(_png(_moved(face, scale, dx, dy))).fields == first, (scale, dx, dy)


def test_another_offset_font_size_and_line_spacing_read_the_same(card_and_face) -> None:
    card, style, _ = card_and_face
    for changes in ({"left": 64, "top": 112}, {"size": 23, "spacing": 1.3}, {"left": 20, "colon_gap": 40}):
        rng = np.random.default_rng(41)
        face = np.asarray(draw_ktp(card, rng, dataclasses.replace(style, **changes)))
        assert read_card(_png(face)).fields == card.fields, changes


def test_a_card_cropped_to_its_edges_and_turned_a_quarter_either_way_reads_the_same(card_and_face) -> None:
    """A scan or an app's crop of the card alone, sideways (portrait, no EXIF turn): no desk
    around it to find an outline in, and print running down the photo."""
    card, _, face = card_and_face
    for turns in (1, 3):
        turned = np.ascontiguousarray(np.rot90(face, turns))
        assert read_card(_png(turned)).fields == card.fields, turns


def test_a_scan_turned_sideways_whose_lines_the_detector_merges_is_turned_back() -> None:
    """A scan 620 px wide turned a quarter: the text map of the sideways frame shows two
    lines running down and none across (the others merge); the turned frame is read."""
    from cardgen.cards import render_card

    card, jpeg = render_card(20261122, 18)  # a tuning set's clean scan
    photo = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    turned = np.ascontiguousarray(np.rot90(photo, 1))
    reading = read_card(_png(cv2.cvtColor(turned, cv2.COLOR_BGR2RGB)))
    assert reading.doc_type == "KTP"
    assert sum(reading.fields.get(name) == value for name, value in card.fields.items()) >= 16


def test_the_whole_photo_frame_keeps_the_print_s_shape() -> None:
    from ocr_gpu.engine.frame import CARD_H, CARD_W
    from ocr_gpu.engine.geometry import photo_matrix

    portrait = np.zeros((1000, 630, 3), np.uint8)
    for turned in (False, True):
        matrix = photo_matrix(portrait, turned)
        corners = cv2.perspectiveTransform(np.float32([[[0, 0], [630, 0], [630, 1000], [0, 1000]]]), matrix)[
            0
        ]
        width, height = np.ptp(corners[:, 0]), np.ptp(corners[:, 1])
        # Scaled alike both ways, inside the frame, centred.
        assert abs(max(width, height) / min(width, height) - 1000 / 630) < 1e-3
        assert (width > height) == turned
        assert (
            corners.min() >= -1e-3
            and corners[:, 0].max() <= CARD_W + 1e-3
            and corners[:, 1].max() <= CARD_H + 1e-3
        )
        assert abs(corners[:, 0].mean() - CARD_W / 2) < 1e-3 and abs(corners[:, 1].mean() - CARD_H / 2) < 1e-3


def test_a_card_held_far_from_the_camera_is_found_and_read(card_and_face) -> None:
    """The card a twentieth of a 12-megapixel photo (560 px wide once the photo is shrunk to
    2400 px): under the share of the photo an outline must cover, found all the same."""
    card, _, face = card_and_face
    photo = np.empty((2250, 3000, 3), np.uint8)
    photo[:] = (52, 60, 150)  # a plain desk
    small = cv2.resize(face, (700, round(700 * face.shape[0] / face.shape[1])), interpolation=cv2.INTER_AREA)
    top, left = 1000, 1250
    photo[top : top + small.shape[0], left : left + small.shape[1]] = small
    reading = read_card(_png(photo))
    assert reading.fields == card.fields
    # Its quality numbers are the card's: 700 px wide in the photo as sent, 560 once shrunk.
    assert 540 <= reading.quality["card_width_px"] <= 580
