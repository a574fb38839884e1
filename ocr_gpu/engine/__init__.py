"""FiLot's OCR engine: a photo of a KTP or NPWP in, the card's fields out.

Pure library, no Django. Importing this package is cheap: ONNX Runtime, OpenCV and
Tesseract load on the first `read_card`, once per process.
"""

from ocr_gpu.engine.config import EngineConfig, EngineConfigError
from ocr_gpu.engine.reading import CardReading

__all__ = ["CardReading", "EngineConfig", "EngineConfigError", "read_card", "warm_up"]


def read_card(
    image_bytes: bytes, doc_type_hint: str | None = None, config: EngineConfig | None = None
) -> CardReading:
    """Read one card image (JPEG/PNG/WebP bytes). Unreadable images give doc_type UNKNOWN and an error."""
    from ocr_gpu.engine.pipeline import read_card as run

    return run(image_bytes, doc_type_hint, config)


def warm_up(config: EngineConfig | None = None) -> list[str]:
    """Load the detection model and Tesseract now (at worker start); returns the providers in use."""
    from ocr_gpu.engine.detect import load_detector
    from ocr_gpu.engine.recognize import line_reader

    config = config or EngineConfig()
    line_reader()
    if config.second_opinion:
        from ocr_gpu.engine.second import second_reader, third_reader

        second_reader(config)
        third_reader(config)
    return list(load_detector(config).providers)
