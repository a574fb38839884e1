"""Turning a flat card face into a scan or a phone photo of it on a desk."""

import cv2
import numpy as np

# Per difficulty: card width in the photo, rotation, perspective, blur, noise, JPEG quality,
# chance of being upside down, strength of shadow and glare.
_PROFILES = {
    "clean": {"width": (900, 1100), "rot": 0.0, "persp": 0.0, "blur": (0.0, 0.0), "noise": (0, 2),
              "jpeg": (88, 95), "flip": 0.0, "shadow": 0.0, "glare": 0.0},
    "photo": {"width": (720, 1000), "rot": 10.0, "persp": 0.05, "blur": (0.0, 0.8), "noise": (2, 5),
              "jpeg": (65, 90), "flip": 0.1, "shadow": 0.35, "glare": 0.0},
    "hard": {"width": (560, 760), "rot": 10.0, "persp": 0.09, "blur": (0.6, 1.2), "noise": (4, 8),
             "jpeg": (40, 65), "flip": 0.2, "shadow": 0.5, "glare": 0.45},
}  # fmt: skip


def _desk(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    kind = int(rng.integers(4))
    base = np.array(
        [(60, 90, 130), (90, 90, 95), (40, 40, 45), (150, 160, 170)][kind], dtype=np.float32
    ) + rng.integers(-20, 20, 3)
    desk = np.ones((height, width, 3), np.float32) * base
    if kind == 0:  # wood: stretched noise makes grain
        grain = cv2.resize(rng.normal(0, 1, (height // 8 + 1, 6)).astype(np.float32), (width, height))
        desk += grain[..., None] * 14
    else:
        texture = cv2.GaussianBlur(rng.normal(0, 10, (height, width)).astype(np.float32), (0, 0), 2)
        desk += texture[..., None]
    return desk


def _place(
    face: np.ndarray, profile: dict, rng: np.random.Generator, desk=None
) -> tuple[np.ndarray, np.ndarray]:
    """Warp the face into a desk photo; returns the photo (float) and the mask of the card."""
    h, w = face.shape[:2]
    card_w = float(rng.uniform(*profile["width"]))
    scale = card_w / w
    if profile["rot"] == 0.0:
        pad = int(rng.integers(0, 16))
        canvas_w, canvas_h = int(card_w) + 2 * pad, int(h * scale) + 2 * pad
        corners = np.float32(
            [[pad, pad], [pad + card_w, pad], [pad + card_w, pad + h * scale], [pad, pad + h * scale]]
        )
        background = np.full((canvas_h, canvas_w, 3), 250, np.float32)
    else:
        canvas_w = int(card_w / rng.uniform(0.62, 0.85))
        canvas_h = int(canvas_w * 0.75)
        angle = np.deg2rad(rng.uniform(-profile["rot"], profile["rot"]))
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        half = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) * scale / 2
        jitter = rng.uniform(-profile["persp"], profile["persp"], (4, 2)) * card_w
        corners = (half @ rot.T + jitter + [canvas_w / 2, canvas_h / 2]).astype(np.float32)
        background = (desk or _desk)(rng, canvas_h, canvas_w)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    matrix = cv2.getPerspectiveTransform(src, corners)
    size = (canvas_w, canvas_h)
    warped = cv2.warpPerspective(face.astype(np.float32), matrix, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, size, flags=cv2.INTER_LINEAR)[..., None]
    return warped * mask + background * (1 - mask), mask


def _evaluation_desk(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Backgrounds the tuning photos never have: cloth checks, a white sheet, a busy print."""
    kind = int(rng.integers(3))
    ys, xs = np.mgrid[0:height, 0:width]
    if kind == 0:
        cell = int(rng.integers(18, 60))
        checks = ((xs // cell + ys // cell) % 2).astype(np.float32)
        a, b = rng.integers(30, 200, 3), rng.integers(30, 200, 3)
        desk = checks[..., None] * a + (1 - checks[..., None]) * b
    elif kind == 1:
        desk = np.ones((height, width, 3), np.float32) * (235 + rng.integers(-10, 10, 3))
    else:
        waves = np.sin(xs / rng.uniform(6, 20)) * np.cos(ys / rng.uniform(6, 20))
        desk = 120 + 60 * waves[..., None] * np.array([1.0, 0.6, 0.3]) + rng.integers(-30, 30, 3)
    return desk.astype(np.float32)


def _evaluation_capture(photo: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Capture faults of the tuning photos' severity but another kind: the focus blur replaced by
    motion blur of the same extent, some resolution lost in the sensor, a colour cast."""
    length = round(2.5 * sigma) + 1
    if length >= 2:
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0
        rotation = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rotation, (length, length))
        photo = cv2.filter2D(photo, -1, kernel / max(float(kernel.sum()), 1e-6))
    if sigma > 0 and rng.random() < 0.5:
        h, w = photo.shape[:2]
        factor = rng.uniform(0.75, 0.95)
        small = cv2.resize(photo, (int(w * factor), int(h * factor)), interpolation=cv2.INTER_AREA)
        photo = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    cast = np.array([1.0, 1.0, 1.0]) + rng.uniform(-0.12, 0.12, 3)
    return photo * cast


def _lighting(photo: np.ndarray, profile: dict, rng: np.random.Generator) -> np.ndarray:
    h, w = photo.shape[:2]
    if profile["shadow"]:
        # A soft shadow: a dark, blurred half-plane from some direction.
        gx, gy = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
        theta = rng.uniform(0, 2 * np.pi)
        ramp = np.clip((np.cos(theta) * gx + np.sin(theta) * gy + rng.uniform(-0.3, 0.5)) * 2, 0, 1)
        photo = photo * (1 - profile["shadow"] * rng.uniform(0.4, 1) * ramp)[..., None]
    if profile["glare"] and rng.random() < 0.6:
        cx, cy, r = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h, rng.uniform(0.08, 0.18) * w
        gx, gy = np.meshgrid(np.arange(w), np.arange(h))
        spot = np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * r * r)) * profile["glare"]
        photo = photo * (1 - spot[..., None]) + 255 * spot[..., None]
    gain, offset = rng.uniform(0.85, 1.1), rng.uniform(-15, 15)
    return photo * gain + offset


def photograph(
    face: np.ndarray, difficulty: str, rng: np.random.Generator, yardstick: str = "tuning"
) -> bytes:
    """A JPEG of the card face as scanned (clean) or photographed (photo, hard)."""
    profile = _PROFILES[difficulty]
    photo, _ = _place(face, profile, rng, _evaluation_desk if yardstick == "evaluation" else _desk)
    photo = _lighting(photo, profile, rng)
    sigma = rng.uniform(*profile["blur"])
    if yardstick == "evaluation":
        photo = _evaluation_capture(photo, sigma, rng)
    elif sigma > 0.05:
        photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    photo = photo + rng.normal(0, rng.uniform(*profile["noise"]), photo.shape)
    if rng.random() < profile["flip"]:
        photo = photo[::-1, ::-1]
    image = cv2.cvtColor(np.clip(photo, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    quality = int(rng.integers(*profile["jpeg"]))
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return encoded.tobytes()
