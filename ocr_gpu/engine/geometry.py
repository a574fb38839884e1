"""Finding the card in a photo and warping it flat to the canonical 1000 x 630 frame."""

from dataclasses import dataclass, replace

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
    x = (np.arange(w, dtype=np.float32) / w - 0.5)[None, :]
    y = (np.arange(h, dtype=np.float32) / h - 0.5)[:, None]
    ring = np.zeros((h, w), bool)
    ring[:4], ring[-4:], ring[:, :4], ring[:, -4:] = True, True, True, True
    ys, xs = np.nonzero(ring)
    rx, ry = xs / w - 0.5, ys / h - 0.5
    basis = np.stack([np.ones_like(rx), rx, ry, rx * rx, rx * ry, ry * ry], axis=-1)
    coef, *_ = np.linalg.lstsq(basis, lab[ring], rcond=None)
    c = coef.astype(np.float32)[:, None, None, :]
    x, y = x[..., None], y[..., None]
    return c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * x * y + c[5] * y * y


def _otsu(distance: np.ndarray, floor: float, clip: float = 95.0) -> np.ndarray:
    distance = cv2.GaussianBlur(distance, (5, 5), 0)
    # Clipped so that a few vivid pixels (the red photo backdrop) cannot claim the threshold.
    # The percentile must fall on the card: a card under 5 % of the photo needs a higher one.
    top = max(float(np.percentile(distance, clip)), 1.0)
    scaled = np.clip(distance * (255.0 / top), 0, 255).astype(np.uint8)
    threshold, mask = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # A threshold this low means the frame holds no distinct object, only desk noise.
    if threshold * top / 255.0 < floor:
        return np.zeros_like(mask)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7)))


def _masks(small: np.ndarray, clip: float = 95.0) -> list[np.ndarray]:
    """Candidate masks of the pixels unlike the desk, which shows all around the card in a photo."""
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    difference = lab - _desk_model(lab)
    full = _otsu(np.linalg.norm(difference, axis=2), 8.0, clip)
    # Hue survives a shadow that darkens part of the card to the desk's lightness.
    hue = _otsu(np.linalg.norm(difference[..., 1:], axis=2), 4.0, clip)
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


# ID-1 (85.6 x 54 mm). Outlines are measured after perspective; their aspect is only a
# sanity bound and a weak preference: a photo's focal length is not known.
ID1_ASPECT = 85.6 / 54.0
_MIN_AREA, _MAX_AREA = 0.12, 0.97  # of the photo (a KTP's photo panel is ~0.08)
_KEEP = 6  # outlines handed on, best first


@dataclass(frozen=True)
class Outline:
    """A candidate card outline and the evidence for it measured on the photo."""

    quad: np.ndarray  # corners in the full photo, ordered as _order gives them
    support: float  # 0..1: share of the outline where the photo changes across it
    aspect: float  # long side over short side after perspective
    area: float  # share of the photo inside it
    source: str

    @property
    def score(self) -> float:
        # A weak pull towards ID-1's proportions and towards the larger of two equally
        # supported outlines (the card around its own photo panel or a printed frame).
        off = abs(float(np.log(self.aspect / ID1_ASPECT)))
        return self.support - 0.5 * max(0.0, off - 0.08) + 0.05 * float(np.sqrt(self.area))


def rectified_aspect(quad: np.ndarray, width: int, height: int) -> float:
    """Long over short side of the rectangle the quad may be a photo of.

    Two estimates, the one nearer ID-1 taken (the bound it serves is a sanity check, not a
    measurement): the means of opposite sides, and the rectangle a pinhole camera would
    see (Zhang and He, 2007: the focal length estimated from the quad itself, principal
    point at the photo's centre) when that focal length is a phone's. (Assuming a phone's
    focal length when the quad cannot tell admitted sheared shadow regions: not done.)
    """
    top = float(np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3]))
    side = float(np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1]))
    estimates = [top / max(side, 1.0)]
    centre = np.array([width / 2, height / 2])
    m1, m2, m4, m3 = (np.append(p - centre, 1.0) for p in quad.astype(np.float64))
    k2 = np.dot(np.cross(m1, m4), m3) / (np.dot(np.cross(m2, m4), m3) or 1e-9)
    k3 = np.dot(np.cross(m1, m4), m2) / (np.dot(np.cross(m3, m4), m2) or 1e-9)
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    long_side = max(width, height)
    focal2 = 0.0  # the quad cannot tell (a pair of sides parallel): the side means only
    if abs(n2[2] * n3[2]) > 1e-9:
        f2 = -(n2[0] * n3[0] + n2[1] * n3[1]) / (n2[2] * n3[2])
        # A phone's focal length is about 0.6-2.5 long sides; outside that the estimate is noise.
        if (0.6 * long_side) ** 2 < f2 < (2.5 * long_side) ** 2:
            focal2 = f2
    if focal2:
        across = (n2[0] ** 2 + n2[1] ** 2) / focal2 + n2[2] ** 2
        down = (n3[0] ** 2 + n3[1] ** 2) / focal2 + n3[2] ** 2
        if down > 0:
            estimates.append(float(np.sqrt(across / down)))
    long_over_short = [max(a, 1 / max(a, 1e-6)) for a in estimates]
    return min(long_over_short, key=lambda a: abs(np.log(a / ID1_ASPECT)))


def _support(lab: np.ndarray, gradient: np.ndarray, quad: np.ndarray) -> float:
    """How much of the outline is an edge in the photo: the mean of the sides' shares, with
    the weakest side counted three times (a wrong outline is usually wrong on one side).

    A point of a side counts when the colour changes across it and the photo's gradient
    there runs across the side: a side found on a shadow edge or cut through the card has
    card on both sides of it, a side out on the desk has desk on both sides, and text or
    a cloth's pattern changes colour in every direction.
    """
    h, w = lab.shape[:2]
    centre = quad.mean(axis=0)
    reach = max(2.5, 0.015 * float(np.linalg.norm(quad[2] - quad[0])))
    t = np.linspace(0.08, 0.92, 24)[:, None]
    shares = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        along = b - a
        normal = np.array([along[1], -along[0]]) / max(float(np.linalg.norm(along)), 1e-6)
        if np.dot((a + b) / 2 - centre, normal) < 0:
            normal = -normal
        points = a + t * along
        limit = np.array([w - 1, h - 1])
        inside = np.rint(points - reach * normal).astype(int).clip(0, limit)
        edge = np.rint(points).astype(int).clip(0, limit)
        # A card near the photo's edge: the desk seen is the strip between them.
        outside = np.rint(points + reach * normal).clip(0, limit)
        # Off the photo, or no room for desk beyond the side: no evidence either way, half a vote.
        seen = (
            ((outside - points) @ normal >= 1.5) & (points >= 0).all(axis=1) & (points <= limit).all(axis=1)
        )
        outside = outside.astype(int)
        change = np.linalg.norm(lab[inside[:, 1], inside[:, 0]] - lab[outside[:, 1], outside[:, 0]], axis=1)
        g = gradient[edge[:, 1], edge[:, 0]]
        across = np.abs(g @ normal) > 0.8 * np.linalg.norm(g, axis=1)
        shares.append(float(np.mean(np.where(seen, (change > _CHANGE) & across, 0.5))))
    return (sum(shares) + 2 * min(shares)) / 6


_CHANGE = 7.0  # LAB distance across a card edge (a white card on a white sheet: ~10)


def _quads(mask: np.ndarray, smallest: float = _MIN_AREA) -> list[np.ndarray]:
    """Quads of the mask's large, convex-enough regions."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        area = cv2.contourArea(contour)
        if not smallest * mask.size <= area <= _MAX_AREA * mask.size:
            break
        quad = _quad_of(contour)
        if quad is None:
            continue
        if 0.85 <= area / max(cv2.contourArea(quad), 1.0) <= 1.1:
            found.append(_order(quad))
    return found


def _colour_regions(lab: np.ndarray) -> list[np.ndarray]:
    """Masks of the photo's main colours (k-means, at half the search's resolution): on a
    patterned cloth the card is one colour region where the desk model, fitted to a
    border of many colours, sees nothing."""
    h, w = lab.shape[:2]
    coarse = cv2.resize(lab, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    # Lightness counts less than hue: a shadow across the card must not split it in two.
    weighted = coarse * np.array([0.4, 1.0, 1.0], np.float32)
    samples = np.ascontiguousarray(weighted[::2, ::2].reshape(-1, 3), np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    cv2.setRNGSeed(7)
    labels = np.zeros((len(samples), 1), np.int32)
    _, _, centres = cv2.kmeans(samples, 5, labels, criteria, 1, cv2.KMEANS_PP_CENTERS)
    distance = np.linalg.norm(weighted[:, :, None, :] - centres[None, None], axis=3)
    nearest = distance.argmin(axis=2)
    masks = []
    for k in range(len(centres)):
        mask = (nearest == k).astype(np.uint8) * 255
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
        masks.append(cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR))
    return masks


_FAIR = 0.5  # an outline this well supported is a card's edge, not a cloth's pattern


def _outer(best: Outline, others: list[Outline]) -> Outline:
    """The outline just around the best one, when that one is fairly supported too: a card's
    print can draw a frame or a band of colour just inside its edge (the NPWP's border),
    and the card's edge is then the outer of two outlines a few % apart."""
    size = float(np.linalg.norm(best.quad[2] - best.quad[0]))
    around = [
        o
        for o in others
        if o.support >= _FAIR
        and o.area > best.area
        and all(cv2.pointPolygonTest(o.quad, (float(x), float(y)), True) > -0.01 * size for x, y in best.quad)
        and _distance(o.quad, best.quad) < 0.08 * size
    ]
    return max(around, key=lambda o: o.score) if around else best


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """The largest distance between matching corners of two outlines (either way round)."""
    return min(float(np.linalg.norm(np.roll(a, k, axis=0) - b, axis=1).max()) for k in range(4))


def _desk_masks(small: np.ndarray, clip: float = 95.0) -> list[tuple[str, np.ndarray]]:
    found = []
    for name, mask in zip(("desk", "desk-hue", "desk-any"), _masks(small, clip), strict=True):
        found.append((name, mask))
        # On stripes the desk model is the stripes' mean: the card can be the region
        # *nearer* to it, a hole in the mask.
        found.append((name + "-inverse", 255 - mask))
        # A patterned desk leaves blobs touching the card: cut them off.
        found.append((name + "-opened", cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))))
    return found


_SURE = 0.85  # an outline this well supported needs no search by colour regions


# A card held far from the camera: under _MIN_AREA of the photo, down to this (`far_outlines`).
_MIN_AREA_FAR = 0.015
_AROUND_FAR = 0.35  # of the small outline's size, on each side, for the second search
_CLIP_FAR = 99.4  # the masks' clipping percentile (`_otsu`): on the card at 1.5 % of the photo


def outlines(image: np.ndarray) -> list[Outline]:
    """Candidate outlines of the card, best supported first (at most _KEEP, none alike).

    Regions unlike the desk model first; when none of them has a well-supported outline
    (a patterned cloth, a desk of the card's colour) the photo's main colour regions too.
    """
    return _outlines(image, _MIN_AREA)


def far_outlines(image: np.ndarray) -> list[Outline]:
    """Outlines of a card held far from the camera (under _MIN_AREA of the photo), each found
    again in the part of the photo around it, at that part's own resolution.

    Only for a photo that showed no card outline and whose whole-photo print is small or
    absent (`locate.settle`): on a photo the card fills, a region inside it (the photo panel,
    a block of print) would be such an outline.
    """
    h, w = image.shape[:2]
    near: list[Outline] = []
    for far in _outlines(image, _MIN_AREA_FAR)[:2]:
        (x0, y0), (x1, y1) = far.quad.min(axis=0), far.quad.max(axis=0)
        reach = _AROUND_FAR * max(x1 - x0, y1 - y0)
        left, top = int(max(0, x0 - reach)), int(max(0, y0 - reach))
        right, bottom = int(min(w, x1 + reach)), int(min(h, y1 + reach))
        for outline in _outlines(image[top:bottom, left:right], _MIN_AREA)[:1]:
            near.append(replace(outline, quad=outline.quad + np.array([left, top], np.float32)))
    return near


def _outlines(image: np.ndarray, smallest: float) -> list[Outline]:
    h, w = image.shape[:2]
    scale = _WORK / max(h, w)
    small = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    gradient = np.dstack(
        [cv2.Sobel(lab[..., 0], cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(lab[..., 0], cv2.CV_32F, 0, 1, ksize=3)]
    )
    sh, sw = small.shape[:2]

    def measured(masks: list[tuple[str, np.ndarray]]) -> list[Outline]:
        found = []
        for source, mask in masks:
            for quad in _quads(mask, smallest):
                aspect = rectified_aspect(quad, sw, sh)
                # A corner far off the photo: a region's outline, not a card held in view.
                off = max(float(-quad.min()), float((quad - [sw - 1, sh - 1]).max()))
                if _ASPECT[0] <= aspect <= _ASPECT[1] and off < 0.02 * max(sw, sh):
                    area = cv2.contourArea(quad) / (sw * sh)
                    found.append(Outline(quad / scale, _support(lab, gradient, quad), aspect, area, source))
        return found

    found = measured(_desk_masks(small, 95.0 if smallest >= _MIN_AREA else _CLIP_FAR))
    if not found or max(o.score for o in found) < _SURE:
        found += measured([("colour", mask) for mask in _colour_regions(lab)])
    found.sort(key=lambda o: -o.score)
    if found:
        found.insert(0, _outer(found[0], found[1:]))
    kept: list[Outline] = []
    for outline in found:
        size = float(np.linalg.norm(outline.quad[2] - outline.quad[0]))
        if all(np.abs(outline.quad - k.quad).max() > 0.03 * size for k in kept):
            kept.append(outline)
    return kept[:_KEEP]


def find_card(image: np.ndarray) -> np.ndarray | None:
    """The card's four corners in the image, or None when it fills the frame or cannot be told apart."""
    found = outlines(image)
    return found[0].quad if found else None


def card_width(quad: np.ndarray | None, image: np.ndarray) -> float:
    if quad is None:
        return float(image.shape[1])
    return float((np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2)


def rectify(image: np.ndarray, quad: np.ndarray | None, upside_down: bool = False) -> np.ndarray:
    """The card warped flat to CARD_W x CARD_H (the whole image when no card was found)."""
    return warp(image, card_matrix(image, quad, upside_down))


def card_matrix(image: np.ndarray, quad: np.ndarray | None, upside_down: bool = False) -> np.ndarray:
    """The perspective transform from the photo to the CARD_W x CARD_H frame.

    With no outline the whole photo is the frame, scaled alike both ways and centred: a
    photo of another shape than the card's (a card photographed or scanned sideways, in
    portrait) stretched to the frame would squeeze its print, and levelling it after would
    not undo that.
    """
    if quad is None:
        return photo_matrix(image)
    target = np.array([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]], dtype=np.float32)
    if upside_down:
        quad = np.roll(quad, 2, axis=0)
    return cv2.getPerspectiveTransform(quad.astype(np.float32), target.astype(np.float32))


def photo_matrix(image: np.ndarray, turned: bool = False) -> np.ndarray:
    """The whole photo in the frame, scaled alike both ways and centred; turned: a quarter
    turn clockwise first (print running down the photo: a card photographed sideways)."""
    h, w = image.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    # Where each corner lands, turned or not, before scaling.
    placed = np.array([[h, 0], [h, w], [0, w], [0, 0]], np.float32) if turned else corners.copy()
    width, height = (h, w) if turned else (w, h)
    scale = min(CARD_W / width, CARD_H / height)
    offset = np.array([(CARD_W - width * scale) / 2, (CARD_H - height * scale) / 2], dtype=np.float32)
    return cv2.getPerspectiveTransform(corners, (placed * np.float32(scale) + offset).astype(np.float32))


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
