"""`manage.py rundramatiq`, with the OCR worker sized by `OCR_GPU_CONCURRENCY`.

django_dramatiq's command starts one process per CPU with 8 threads each. Reading a
card is CPU-bound (Tesseract) or GPU-bound, so a worker that serves only the `ocr-gpu`
queue runs `OCR_GPU_CONCURRENCY` processes of one thread: each process holds one ONNX
session and one Tesseract instance, and the host reads that many cards at once.
Explicit `--processes` / `--threads` (or DRAMATIQ_NPROCS / DRAMATIQ_NTHREADS) win.
"""

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django_dramatiq.management.commands.rundramatiq import Command as DjangoDramatiqCommand

from filot.queues import OCR_QUEUE
from filot.worker_group import PARENT_PID_VARIABLE, PROCESSES_VARIABLE


class Command(DjangoDramatiqCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(processes=None, threads=None)

    def handle(
        self, *args: Any, processes: int | None, threads: int | None, queues: list[str] | None, **options: Any
    ):
        processes, threads = worker_size(queues, processes, threads)
        # django_dramatiq execs dramatiq in this process: its worker processes die with
        # this pid and count themselves against this number (filot/worker_group.py).
        os.environ[PARENT_PID_VARIABLE] = str(os.getpid())
        os.environ[PROCESSES_VARIABLE] = str(processes)
        return super().handle(*args, processes=processes, threads=threads, queues=queues, **options)


def worker_size(queues: list[str] | None, processes: int | None, threads: int | None) -> tuple[int, int]:
    from django_dramatiq.management.commands import rundramatiq

    ocr_only = queues == [OCR_QUEUE]
    if processes is None:
        explicit = "DRAMATIQ_NPROCS" in os.environ
        processes = settings.OCR_GPU_CONCURRENCY if ocr_only and not explicit else rundramatiq.NPROCS
    if threads is None:
        explicit = "DRAMATIQ_NTHREADS" in os.environ
        threads = 1 if ocr_only and not explicit else rundramatiq.NTHREADS
    return processes, threads
