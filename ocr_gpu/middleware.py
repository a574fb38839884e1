"""Dramatiq middleware of the OCR worker."""

import dramatiq
import structlog
from dramatiq.broker import Broker

log = structlog.get_logger(__name__)


class WarmUpEngine(dramatiq.Middleware):
    """Load the detection model and Tesseract when a worker that reads cards boots, so
    the first card does not pay for it, and a GPU worker whose CUDA cannot load (with
    `OCR_GPU_AUTOFALLBACK=false`) stops at start-up with the reason instead of failing
    every card."""

    def after_worker_boot(self, broker: Broker, worker: dramatiq.Worker) -> None:
        # Imported here: actors must not be declared while the broker is being set up.
        from filot.queues import OCR_QUEUE
        from ocr_gpu.config import engine_config

        queues = worker.consumer_whitelist  # None: every queue
        if queues and OCR_QUEUE not in queues:
            return
        from ocr_gpu.engine import warm_up

        providers = warm_up(engine_config())
        log.info("ocr_engine_ready", providers=providers)
