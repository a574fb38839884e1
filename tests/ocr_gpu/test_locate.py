"""The card's outline on backgrounds the tuning photos never have. Real model and Tesseract, no Django.

Each photo is a tuning-style card face placed here on a background of this file's own
making (large checks, stripes, a near-white sheet) with strong perspective; the true
corners are known, so the outline found can be checked, and the card must read.
"""

import cv2
import numpy as np
import pytest

from cardgen.cardart import draw_card
from cardgen.cards import make_ktp
from ocr_gpu.engine import read_card
from ocr_gpu.engine.config import EngineConfig
from ocr_gpu.engine.decode import decode
from ocr_gpu.engine.detect import load_detector
from ocr_gpu.engine.frame import CARD_H, CARD_W
from ocr_gpu.engine.geometry import find_card, rectified_aspect
from ocr_gpu.engine.locate import locate, settle

pytestmark = pytest.mark.slow


def _checks(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w]
    cell = 64
    on = (((xs // cell) + (ys // cell)) % 2)[..., None].astype(np.float32)
    return on * np.array([200, 40, 60]) + (1 - on) * np.array([30, 150, 70]) + rng.normal(0, 3, (h, w, 1))


def _stripes(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w]
    on = ((((xs + 0.6 * ys) // 40) % 2)[..., None]).astype(np.float32)
    return on * np.array([240, 200, 30]) + (1 - on) * np.array([40, 40, 160]) + rng.normal(0, 3, (h, w, 1))


def _white_sheet(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    xs = np.linspace(-1, 1, w)[None, :, None]
    return np.full((h, w, 3), 240.0) - 8 * xs + rng.normal(0, 2, (h, w, 1))


def _photo(
    seed: int, background, corners_shift: np.ndarray, upside_down: bool = False, blur: float = 0.6
) -> tuple[dict[str, str], bytes, np.ndarray]:
    """A KTP face on the background, its corners moved by corners_shift (shares of the card's width)."""
    rng = np.random.default_rng([seed, 4242])
    card = make_ktp(rng, "photo")
    face = draw_card(card, rng, "tuning").astype(np.float32)
    h, w = face.shape[:2]
    card_w, canvas_w, canvas_h = 760.0, 1100, 850
    half = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2 * card_w / w
    angle = np.deg2rad(8)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = (half @ turn.T + corners_shift * card_w + [canvas_w / 2, canvas_h / 2]).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32), corners)
    size = (canvas_w, canvas_h)
    warped = cv2.warpPerspective(face, matrix, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, size)[..., None]
    photo = warped * mask + background(canvas_h, canvas_w, rng) * (1 - mask)
    photo = cv2.GaussianBlur(photo, (0, 0), blur) + rng.normal(0, 3, photo.shape)
    if upside_down:
        photo = photo[::-1, ::-1]
        corners = np.array([canvas_w - 1, canvas_h - 1], np.float32) - corners
    bgr = cv2.cvtColor(np.clip(photo, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    return card.fields, cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes(), corners


# Strong perspective: a keystone of 0.1 of the card's width and a sheared corner.
_KEYSTONE = np.array([[0.06, 0.05], [-0.04, 0.0], [-0.04, 0.0], [0.06, -0.05]])
_SHEARED = np.array([[0.0, 0.0], [0.02, -0.04], [0.0, 0.0], [-0.1, 0.03]])


def _outline_error(found: np.ndarray, corners: np.ndarray) -> float:
    """The largest corner error as a share of the card's diagonal (either corner order)."""
    size = float(np.linalg.norm(corners[2] - corners[0]))
    return min(float(np.abs(np.roll(found, k, axis=0) - corners).max()) for k in range(4)) / size


def _framing_error(matrix: np.ndarray, corners: np.ndarray) -> float:
    """How far the true corners land from the flattened frame's corners, as a share of its width."""
    frame = np.array([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]], np.float32)
    mapped = cv2.perspectiveTransform(corners.astype(np.float32)[None], matrix)[0]
    return min(float(np.abs(np.roll(mapped, k, axis=0) - frame).max()) for k in range(4)) / CARD_W


CASES = {
    "checked cloth": (11, _checks, _KEYSTONE, False),
    "striped cloth": (12, _stripes, _SHEARED, False),
    "white sheet": (13, _white_sheet, _KEYSTONE, False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_outline_is_found_within_a_few_percent_of_the_true_corners(case: str) -> None:
    seed, background, shift, upside_down = CASES[case]
    _, photo, corners = _photo(seed, background, shift, upside_down)
    image = decode(photo)
    quad = find_card(image)
    assert quad is not None
    assert _outline_error(quad, corners) < 0.03
    config = EngineConfig()
    located, _ = settle(locate(image), load_detector(config), config)
    assert _framing_error(located.matrix, corners) < 0.03


@pytest.mark.parametrize("case", list(CASES))
def test_the_card_reads_its_nik_and_labels(case: str) -> None:
    seed, background, shift, upside_down = CASES[case]
    fields, photo, _ = _photo(seed, background, shift, upside_down)
    reading = read_card(photo)
    assert reading.doc_type == "KTP"
    assert reading.fields.get("nik") == fields["nik"]
    right = sum(reading.fields.get(key) == value for key, value in fields.items())
    assert right / len(fields) >= 0.85


def test_a_soft_upside_down_card_on_a_white_sheet_reads() -> None:
    fields, photo, corners = _photo(14, _white_sheet, _KEYSTONE, upside_down=True, blur=1.1)
    quad = find_card(decode(photo))
    assert quad is not None
    assert _outline_error(quad, corners) < 0.03
    reading = read_card(photo)
    assert reading.upside_down
    assert reading.fields.get("nik") == fields["nik"]
    right = sum(reading.fields.get(key) == value for key, value in fields.items())
    assert right / len(fields) >= 0.8


@pytest.mark.parametrize("axis", [(0.8, 0.5, 0.2)])
def test_the_aspect_after_perspective_of_a_card_seen_by_a_camera_is_id1(axis) -> None:
    # A card 85.6 x 54 mm seen by a pinhole camera (focal length 1000 px) tilted 35 degrees.
    rotation, _ = cv2.Rodrigues(np.array(axis) / np.linalg.norm(axis) * np.deg2rad(35))
    card = np.array([[-42.8, -27, 0], [42.8, -27, 0], [42.8, 27, 0], [-42.8, 27, 0]])
    seen = card @ rotation.T + [5, 8, 160]
    quad = (1000.0 * seen[:, :2] / seen[:, 2:] + [640, 480]).astype(np.float32)
    top = np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])
    side = np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])
    assert abs(top / side - 1.586) > 0.2  # the photo's own proportions are far from ID-1's
    assert rectified_aspect(quad, 1280, 960) == pytest.approx(85.6 / 54, rel=0.05)


def test_an_outline_that_shows_almost_no_print_gives_way_to_a_framing_that_shows_the_card() -> None:
    from cardgen.cards import card_photo

    # A hard tuning-style photo whose shadow splits the card: the best-supported outline holds
    # the photo panel and one line of print, the card itself runs off the photo's edge.
    card, jpeg = card_photo("KTP", "hard", 5000, "tuning")
    config = EngineConfig()
    located = locate(decode(jpeg))
    _, found = settle(located, load_detector(config), config)
    assert len(found.boxes()) >= 10
    reading = read_card(jpeg, None, config)
    assert reading.doc_type == "KTP"
    assert reading.fields["nik"] == card.fields["nik"]


def test_an_outline_whose_print_reads_as_no_card_gives_way_to_the_whole_photo(monkeypatch) -> None:
    from dataclasses import replace

    import ocr_gpu.engine.pipeline as pipeline
    from ocr_gpu.engine.geometry import card_matrix, warp

    # The true outline with its corners in mirror order: the framing shows level print that
    # runs nowhere off the frame (settle finds no fault), but mirrored it reads as no card.
    fields, jpeg, corners = _photo(21, _white_sheet, _KEYSTONE)
    mirrored = corners[[1, 0, 3, 2]]

    def wrong_outline(image: np.ndarray):
        located = locate(image)
        matrix = card_matrix(image, mirrored)
        return replace(located, quad=mirrored, matrix=matrix, card=warp(image, matrix), others=())

    monkeypatch.setattr(pipeline, "locate", wrong_outline)
    reading = read_card(jpeg, None, EngineConfig())
    assert reading.doc_type == "KTP"
    assert reading.fields["nik"] == fields["nik"]
    assert reading.fields["name"] == fields["name"]
