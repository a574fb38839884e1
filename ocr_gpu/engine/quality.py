"""Image-quality numbers for the scorer and reviewers, measured on the rectified card."""

import cv2
import numpy as np


def measure_quality(card_gray: np.ndarray, card_width_px: float) -> dict[str, float]:
    """sharpness: variance of the Laplacian (the card at 1000 px wide); brightness: mean 0..1;
    glare: share of blown-out pixels; card_width_px: the card's width in the original photo."""
    # A 3x3 blur first keeps JPEG and sensor noise from passing for sharp detail.
    smooth = cv2.GaussianBlur(card_gray, (3, 3), 0)
    sharpness = float(cv2.Laplacian(smooth, cv2.CV_64F).var())
    return {
        "sharpness": round(sharpness, 1),
        "brightness": round(float(card_gray.mean()) / 255.0, 3),
        "glare": round(float(np.count_nonzero(card_gray >= 250)) / card_gray.size, 4),
        "card_width_px": round(card_width_px, 1),
    }
