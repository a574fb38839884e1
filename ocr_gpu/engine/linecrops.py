"""Cutting one text line out of the flattened card and preparing it for Tesseract."""

import cv2
import numpy as np


def crop_line(
    gray: np.ndarray, x0: float, y0: float, x1: float, y1: float, zoom: float = 1.0, flat: bool = True
) -> np.ndarray:
    """The line with a margin: Tesseract misses strokes that touch the image edge.

    zoom and flat give the second opinions a line is read again with when its first
    reading does not check out: enlarged, or without the glare flattening.
    """
    height = y1 - y0
    grow_y, grow_x = 0.12 * height, 0.25 * height
    left, top = max(0, int(x0 - grow_x)), max(0, int(y0 - grow_y))
    right = min(gray.shape[1], int(np.ceil(x1 + grow_x)))
    bottom = min(gray.shape[0], int(np.ceil(y1 + grow_y)))
    crop = gray[top:bottom, left:right]
    if zoom != 1.0 and crop.size:
        crop = cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        height *= zoom
    crop = drop_leading_colon(stretch(flatten(crop) if flat else crop))
    pad = max(4, int(0.3 * height))
    # Padded with the paper's tone: replicated edge pixels streak into strokes that make
    # Tesseract drop the whole line.
    paper = int(np.percentile(crop, 90)) if crop.size else 255
    return cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=paper)


def flatten(crop: np.ndarray) -> np.ndarray:
    """The crop divided by its paper's brightness: glare and shadow gradients taken out.

    The paper is what a grey-level closing (a max filter wider than a stroke) leaves.
    """
    if crop.size == 0:
        return crop
    size = max(3, int(0.5 * crop.shape[0]) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    paper = cv2.blur(cv2.dilate(crop, kernel), (size, size))
    return np.clip(crop.astype(np.float32) * 255.0 / np.maximum(paper, 1), 0, 255).astype(np.uint8)


def stretch(crop: np.ndarray) -> np.ndarray:
    """Ink to black and paper to white: faint print under glare or shadow reads as empty otherwise."""
    if crop.size == 0:
        return crop
    low, high = np.percentile(crop, (2, 98))
    if high - low < 8:
        return crop
    scaled = (crop.astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def drop_leading_colon(crop: np.ndarray) -> np.ndarray:
    """The crop without the KTP's colon column in front of a value.

    Blurred, the colon melts into the first letter and Tesseract reads `: FAJAR` as
    `DEFAJAR`, or gives up on the line. A colon is a narrow blob of two dots stacked
    with a gap between them, then a space: an I or a 1 is one unbroken stroke.
    """
    h, w = crop.shape[:2]
    if h < 8 or w < 3 * h:
        return crop
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    columns = _runs(ink.sum(axis=0) >= max(2, h // 12))
    if len(columns) < 2:
        return crop
    (start, end), (next_start, _) = columns[0], columns[1]
    if end - start > 0.3 * h or next_start - end < 0.12 * h or start > 1.2 * h:
        return crop
    dots = _runs(ink[:, start:end].sum(axis=1) > 0)
    dots = [(a, b) for a, b in dots if b - a >= 2]
    if len(dots) != 2 or dots[1][0] - dots[0][1] < 0.12 * h:
        return crop
    return crop[:, (end + next_start) // 2 :]
