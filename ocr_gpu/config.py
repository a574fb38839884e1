"""The engine's configuration, built from Django settings in this one place.

The engine itself never reads settings (it is a pure library): the actor, the worker
middleware, the providers check and the commands all pass it this.
"""

from django.conf import settings

from ocr_gpu.engine.config import EngineConfig


def engine_config() -> EngineConfig:
    return EngineConfig(
        gpu_enabled=settings.OCR_GPU_ENABLED,
        autofallback=settings.OCR_GPU_AUTOFALLBACK,
        model_path=settings.OCR_DETECTION_MODEL_PATH or None,
    )
