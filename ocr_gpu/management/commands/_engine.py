"""The engine configuration the commands build from Django settings."""

from django.conf import settings

from ocr_gpu.engine import EngineConfig


def engine_config() -> EngineConfig:
    return EngineConfig(
        gpu_enabled=settings.OCR_GPU_ENABLED,
        autofallback=settings.OCR_GPU_AUTOFALLBACK,
        model_path=settings.OCR_DETECTION_MODEL_PATH or None,
        second_opinion=settings.OCR_SECOND_OPINION,
    )
