"""What the OCR worker runs on: its ONNX Runtime providers (CUDA, or the CPU fallback).

`check_onnx_providers` is the OCR worker's health check (settings' WORKER_HEALTH_CHECKS,
served by filot/worker_http.py). `CpuFallbackMiddleware` counts and logs every OCR
job that ran on the CPU although the GPU was asked for, so a host whose CUDA
libraries failed to load shows up in the metrics and the logs, job by job.
"""

from typing import TYPE_CHECKING

import dramatiq
import structlog
from django.conf import settings

from filot.metrics import GPU_FALLBACKS
from filot.queues import OCR_QUEUE

if TYPE_CHECKING:
    from dramatiq.broker import MessageProxy

    from ocr_gpu.engine.detect import Detector

log = structlog.get_logger(__name__)


def _detector() -> "Detector":
    from ocr_gpu.config import engine_config
    from ocr_gpu.engine.detect import load_detector  # heavy: ONNX Runtime loads here

    # The same cached session the actor uses: asking again costs nothing.
    return load_detector(engine_config())


def check_onnx_providers() -> dict:
    detector = _detector()
    return {
        "providers": list(detector.providers),
        "device": "cuda" if detector.gpu else "cpu",
        "gpu_requested": settings.OCR_GPU_ENABLED,
        "cpu_fallback": settings.OCR_GPU_ENABLED and not detector.gpu,
    }


class CpuFallbackMiddleware(dramatiq.Middleware):
    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: "MessageProxy",
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is not None or not settings.OCR_GPU_ENABLED:
            return
        if message.queue_name.removesuffix(".DQ") != OCR_QUEUE:
            return
        detector = _detector()
        if not detector.gpu:
            GPU_FALLBACKS.inc()
            log.warning("ocr_cpu_fallback", providers=list(detector.providers))
