"""Stage 1, decode: image bytes to an RGB array the rest of the pipeline can afford."""

import cv2
import numpy as np

_MAX_SIDE = 2400  # larger photos are shrunk first: the card never needs more pixels than this
MIN_CARD_WIDTH = 260  # below this the print is a few pixels high: nothing can read it


class Unreadable(Exception):
    """The image is not a card we can read; the message is the reading's error."""


def decode(image_bytes: bytes) -> np.ndarray:
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
