"""The dramatiq queue names (contract: DESIGN.md), defined once for every app and tool."""

OCR_QUEUE = "ocr-gpu"  # GPU hosts: ocr_gpu.tasks.recognize
DEFAULT_QUEUE = "default"  # CPU workers: ingest, OCR failures, BULI2 forwarding
QUEUES = (OCR_QUEUE, DEFAULT_QUEUE)
