"""Finding the card in a photo and warping it flat to the canonical 1000 x 630 frame."""

import cv2
import numpy as np

from ocr_gpu.engine.frame import CARD_H, CARD_W

_WORK = 480  # long side for the search; the quad is scaled back to full resolution
_ASPECT = (1.15, 2.3)


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left, long edge on top."""
    center = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - center[1], quad[:, 0] - center[0])
    quad = quad[np.argsort(angles)]  # clockwise in image coordinates, starting top-left-ish
    start = int(np.argmin(quad.sum(axis=1)))
    quad = np.roll(quad, -start, axis=0)
    if np.linalg.norm(quad[1] - quad[0]) < np.linalg.norm(quad[2] - quad[1]):
        quad = np.roll(quad, -1, axis=0)  # a card standing on its short edge
    return quad.astype(np.float32)


def _desk_model(lab: np.ndarray) -> np.ndarray:
    """The desk's colour at every pixel, extrapolated from the frame's border.

    A quadratic surface fitted to the border follows a shadow or a light gradient across
    the desk, which a single median colour would mistake for the card.
    """
    h, w = lab.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    ring = np.zeros((h, w), bool)
    ring[:4], ring[-4:], ring[:, :4], ring[:, -4:] = True, True, True, True
    x, y = xs / w - 0.5, ys / h - 0.5
    basis = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)
    coef, *_ = np.linalg.lstsq(basis[ring], lab[ring], rcond=None)
    return basis @ coef


def _otsu(distance: np.ndarray, floor: float) -> np.ndarray:
    distance = cv2.GaussianBlur(distance, (5, 5), 0)
    # Clipped so that a few vivid pixels (the red photo backdrop) cannot claim the threshold.
    top = max(float(np.percentile(distance, 95)), 1.0)
    scaled = np.clip(distance * (255.0 / top), 0, 255).astype(np.uint8)
    threshold, mask = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # A threshold this low means the frame holds no distinct object, only desk noise.
    if threshold * top / 255.0 < floor:
        return np.zeros_like(mask)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7)))


def _masks(small: np.ndarray) -> list[np.ndarray]:
    """Candidate masks of the pixels unlike the desk, which shows all around the card in a photo."""
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    difference = lab - _desk_model(lab)
    full = _otsu(np.linalg.norm(difference, axis=2), 8.0)
    # Hue survives a shadow that darkens part of the card to the desk's lightness.
    hue = _otsu(np.linalg.norm(difference[..., 1:], axis=2), 4.0)
    return [full, hue, full | hue]


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Where the line through edge a meets the line through edge b."""
    (x1, y1), (x2, y2) = a
    (x3, y3), (x4, y4) = b
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(den) < 1e-6:
        return None
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
    return np.array([x1 + t * (x2 - x1), y1 + t * (y2 - y1)], np.float32)


def _quad_of(contour: np.ndarray) -> np.ndarray | None:
    """The card's corners from its outline: the four longest hull edges, extended to meet.

    Extending edges recovers a corner that a shadow or glare has bitten off the outline.
    """
    hull = cv2.convexHull(contour).reshape(-1, 2).astype(np.float32)
    points = cv2.approxPolyDP(hull, 0.01 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(points) < 4:
        return None
    edges = [(points[i], points[(i + 1) % len(points)]) for i in range(len(points))]
    longest = sorted(sorted(range(len(edges)), key=lambda i: -np.linalg.norm(edges[i][1] - edges[i][0]))[:4])
    corners = [
        _intersect(np.array(edges[a]), np.array(edges[b]))
        for a, b in zip(longest, longest[1:] + longest[:1], strict=True)
    ]
    if any(c is None for c in corners):
        return None
    return np.array(corners, np.float32)


def _candidate(mask: np.ndarray) -> tuple[float, np.ndarray] | None:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    quad = _quad_of(contour) if area >= 0.12 * mask.size else None
    if quad is None:
        return None
    quad = _order(quad)
    top, side = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[3] - quad[0])
    if not _ASPECT[0] <= top / max(side, 1.0) <= _ASPECT[1]:
        return None
    if not 0.85 <= area / max(cv2.contourArea(quad), 1.0) <= 1.1:
        return None
    return area, quad


def find_card(image: np.ndarray) -> np.ndarray | None:
    """The card's four corners in the image, or None when it fills the frame or cannot be told apart."""
    h, w = image.shape[:2]
    scale = _WORK / max(h, w)
    small = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    found = [c for c in (_candidate(mask) for mask in _masks(small)) if c is not None]
    if not found:
        return None
    _, quad = max(found, key=lambda candidate: candidate[0])
    return quad / scale


def card_width(quad: np.ndarray | None, image: np.ndarray) -> float:
    if quad is None:
        return float(image.shape[1])
    return float((np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2)


def rectify(image: np.ndarray, quad: np.ndarray | None, upside_down: bool = False) -> np.ndarray:
    """The card warped flat to CARD_W x CARD_H (the whole image when no card was found)."""
    return warp(image, card_matrix(image, quad, upside_down))


def card_matrix(image: np.ndarray, quad: np.ndarray | None, upside_down: bool = False) -> np.ndarray:
    """The perspective transform from the photo to the CARD_W x CARD_H frame."""
    if quad is None:
        h, w = image.shape[:2]
        quad = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    if upside_down:
        quad = np.roll(quad, 2, axis=0)
    target = np.float32([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]])
    return cv2.getPerspectiveTransform(quad.astype(np.float32), target)


def warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The photo seen through matrix, in the CARD_W x CARD_H frame."""
    # A flat fill where the quad reaches past the photo: replicated edges streak into fake text.
    fill = tuple(int(v) for v in np.median(image.reshape(-1, image.shape[-1])[::97], axis=0))
    return cv2.warpPerspective(
        image,
        matrix,
        (CARD_W, CARD_H),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


def widen(quad: np.ndarray, share: float) -> np.ndarray:
    """The quad grown about its centre: for a card whose outline a shadow cut short."""
    center = quad.mean(axis=0)
    return (center + (quad - center) * (1 + share)).astype(np.float32)
