"""The card image a reviewer sees without the reveal permission: its printed text blurred.

Where exactly the NIK (or NPWP number) is printed is not known on the stored image: the
OCR reading keeps its line boxes in the frame of the flattened card it read (after the
perspective warp, levelling and any half turn), without the transform back to the
photo. So the web side finds the text itself, cheaply, with OpenCV (a morphological
text-line detector: black-hat, Otsu threshold, horizontal closing, thin long components) and
blurs every text line it finds, the number's among them. That is
conservative: the photo, the card's colours and layout stay visible, every printed
value is unreadable. When no text line is found the whole card is blurred.
"""

from collections.abc import Sequence

import cv2
import numpy as np

WORK_WIDTH = 1000  # text is found on a copy this wide; boxes are scaled back
PIXEL_BLOCK = 14  # the mosaic's cell on the working copy, about a text line's height
MAX_LINE_HEIGHT = 0.12  # a text line is at most this part of the image's height thick


class UnreadableImage(Exception):
    """The stored bytes are not an image OpenCV can decode."""


def text_mask(image: np.ndarray) -> np.ndarray | None:
    """A mask (255 = text) of the printed text lines, at the image's own size; None when
    no text line is found."""
    height, width = image.shape[:2]
    scale = WORK_WIDTH / width
    small = cv2.resize(image, (WORK_WIDTH, max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    # Dark strokes thinner than the kernel, on any background; card edges and the photo do not pass.
    strokes = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    _, binary = cv2.threshold(strokes, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2, 2)))
    # Letters joined into lines (skewed ones too: each line is one thin, long component).
    lines = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 3)))
    contours, _ = cv2.findContours(lines, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    mask = np.zeros_like(lines)
    most = MAX_LINE_HEIGHT * small.shape[0]
    found = [c for c in contours if _is_text_line(cv2.minAreaRect(c)[1], most)]
    if not found:
        return None
    cv2.drawContours(mask, found, -1, 255, thickness=cv2.FILLED)
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)


def _is_text_line(sides: Sequence[float], most: float) -> bool:
    thickness, length = sorted(sides)
    return 3 <= thickness <= most and length >= 10


def _pixelate(image: np.ndarray, block: int) -> np.ndarray:
    """A mosaic then a blur: nothing of the strokes survives (a blur alone can be undone)."""
    height, width = image.shape[:2]
    tiny = cv2.resize(image, (max(1, width // block), max(1, height // block)), interpolation=cv2.INTER_AREA)
    coarse = cv2.resize(tiny, (width, height), interpolation=cv2.INTER_NEAREST)
    return cv2.GaussianBlur(coarse, (0, 0), sigmaX=block / 2)


def blurred_boxes(data: bytes, boxes: list[tuple[int, int, int, int]]) -> bytes:
    """The image with only these boxes (x0, y0, x1, y1) blurred, padded by a third of
    their height, as JPEG: for the flattened card, whose line boxes the reading holds."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise UnreadableImage("the stored image cannot be decoded")
    height, width = image.shape[:2]
    for x0, y0, x1, y1 in boxes:
        pad = max(4, (y1 - y0) // 3)
        left, top = max(0, x0 - pad), max(0, y0 - pad)
        right, bottom = min(width, x1 + pad), min(height, y1 + pad)
        if right > left and bottom > top:
            region = image[top:bottom, left:right]
            block = max(4, (bottom - top) // 3)
            image[top:bottom, left:right] = _pixelate(region, block)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise UnreadableImage("the blurred image cannot be encoded")
    return encoded.tobytes()


def blurred_card(data: bytes) -> bytes:
    """The stored image with every text line blurred, as JPEG."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise UnreadableImage("the stored image cannot be decoded")
    block = max(4, round(PIXEL_BLOCK * image.shape[1] / WORK_WIDTH))
    mask = text_mask(image)
    if mask is None:
        image = _pixelate(image, block * 2)
    else:
        image = np.where(mask[..., None] > 0, _pixelate(image, block), image)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise UnreadableImage("the blurred image cannot be encoded")
    return encoded.tobytes()
