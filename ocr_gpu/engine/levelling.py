"""Straightening a flattened card by its own print when its outline was found wrong.

A shadow edge or a glare spot can pass for one side of the card, and the card is then
flattened askew: its text lines slope, and slope differently from top to bottom. The
text itself knows better. Printed lines are parallel on the card, so in the photo they
meet in one vanishing point; the homography that sends that point to infinity along x
makes every line level again, whatever the outline said.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from ocr_gpu.engine.frame import CARD_H, CARD_W, PRINT_MARGIN

_TILTED_DEG, _SPREAD_DEG = 1.0, 2.0  # a well-flattened card measures ~0 and < 1.2
_MARGIN_X, _MARGIN_Y = PRINT_MARGIN


@dataclass(frozen=True)
class Stroke:
    """One long blob of the text probability map: a text line or a word."""

    cx: float
    cy: float
    length: float
    angle: float  # radians, 0 = level, within (-pi/2, pi/2]
    x0: float
    y0: float
    x1: float
    y1: float


def strokes(prob: np.ndarray, sx: float, sy: float, threshold: float = 0.3) -> list[Stroke]:
    """The elongated blobs of the probability map, in the image's pixel coordinates."""
    contours, _ = cv2.findContours(
        (prob > threshold).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE
    )
    found = []
    for contour in contours:
        (cx, cy), (w, h), degrees = cv2.minAreaRect(contour)
        if w < h:
            w, h, degrees = h, w, degrees - 90
        degrees = (degrees + 90) % 180 - 90
        if w < 25 or w < 4 * h:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        # Anisotropic scale: slopes change with sy / sx.
        angle = float(np.arctan2(np.sin(np.deg2rad(degrees)) * sy, np.cos(np.deg2rad(degrees)) * sx))
        found.append(Stroke(cx * sx, cy * sy, w * sx, angle, x * sx, y * sy, (x + bw) * sx, (y + bh) * sy))
    return found


def tilt(found: list[Stroke]) -> tuple[float, float]:
    """Median slope and the spread of slopes (10th to 90th percentile), in degrees."""
    if len(found) < 4:
        return 0.0, 0.0
    degrees = np.rad2deg([s.angle for s in found])
    low, high = np.percentile(degrees, (10, 90))
    return float(abs(np.median(degrees))), float(high - low)


def is_askew(found: list[Stroke]) -> bool:
    median, spread = tilt(found)
    return median > _TILTED_DEG or spread > _SPREAD_DEG


def _vanishing_point(found: list[Stroke]) -> np.ndarray:
    """The point all the strokes' lines pass closest to (homogeneous; w ~ 0 means parallel)."""
    rows = []
    for s in found:
        p = np.array([s.cx, s.cy, 1.0])
        q = np.array([s.cx + np.cos(s.angle), s.cy + np.sin(s.angle), 1.0])
        line = np.cross(p, q)
        rows.append(line / np.linalg.norm(line[:2]) * np.sqrt(s.length))
    return np.linalg.svd(np.array(rows))[2][-1]


def levelling(found: list[Stroke], fit_print: bool) -> np.ndarray | None:
    """A homography of the card frame that levels the text lines.

    The print keeps its place and size in the frame; with fit_print (no card outline was
    found, the frame is the whole photo) the print is also scaled to fill the frame.
    """
    if len(found) < 6:
        return None
    center = np.array([CARD_W / 2, CARD_H / 2])
    v = _vanishing_point(found)
    if abs(v[2]) * 1e5 < np.linalg.norm(v[:2]):
        direction, reach = v[:2], np.inf
    else:
        direction = v[:2] / v[2] - center
        reach = float(np.linalg.norm(direction))
    if reach < 1.5 * CARD_W:
        return None  # lines that converge this fast are not one card's print
    phi = float(np.arctan2(direction[1], direction[0]))
    if abs(phi) > np.pi / 2:  # the point lies to the left: the same lines, seen the other way
        phi -= np.sign(phi) * np.pi
        reach = -reach
    cos, sin = np.cos(-phi), np.sin(-phi)
    level = np.array([[cos, -sin, 0], [sin, cos, 0], [-cos / reach, sin / reach, 1.0]])
    shift = np.array([[1, 0, -center[0]], [0, 1, -center[1]], [0, 0, 1.0]])
    homography = np.linalg.inv(shift) @ level @ shift
    return _keep_print_in_frame(homography, found, fit_print)


def _keep_print_in_frame(homography: np.ndarray, found: list[Stroke], fit_print: bool) -> np.ndarray:
    corners = np.array([[s.x0, s.y0] for s in found] + [[s.x1, s.y1] for s in found], np.float32)
    before = corners.min(axis=0), corners.max(axis=0)
    moved = cv2.perspectiveTransform(corners[None], homography)[0]
    low, high = moved.min(axis=0), moved.max(axis=0)
    if fit_print:
        room = np.array([CARD_W - 2 * _MARGIN_X, CARD_H - 2 * _MARGIN_Y])
        scale = float(min(room / np.maximum(high - low, 1)))
        target_low = np.array([CARD_W, CARD_H]) / 2 - (high - low) * scale / 2
    else:
        scale = float(min((before[1] - before[0]) / np.maximum(high - low, 1)))
        target_low = (before[0] + before[1]) / 2 - (high - low) * scale / 2
    fit = np.array(
        [[scale, 0, target_low[0] - low[0] * scale], [0, scale, target_low[1] - low[1] * scale], [0, 0, 1]]
    )
    return fit @ homography
