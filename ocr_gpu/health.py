"""The OCR engine's readiness check, cheap enough for every probe.

It proves the engine's files are installed without loading ONNX Runtime or OpenCV,
which the web process never imports.
"""

from django.conf import settings

from ocr_gpu.engine.assets import detection_model_path, second_model_path, tessdata_dir


def check_ocr_engine() -> dict:
    model = detection_model_path(settings.OCR_DETECTION_MODEL_PATH or None)
    found = {"detection_model": model.name, "tessdata": str(tessdata_dir())}
    if settings.OCR_SECOND_OPINION:
        found["second_opinion_model"] = second_model_path().name
    return found
