"""`manage.py ocr_throughput`: cards/s of N OCR processes sharing one queue of cards.

Sizes a GPU host from one run: for each provider (the CPU, and CUDA when ONNX Runtime
offers it) and each N = 1...max, N processes load the engine, wait until all are
ready, then pull generated cards from one shared queue until it is empty, like
`rundramatiq --queues ocr-gpu --processes N` pulling from its queue. Prints cards/s
and the mean time of each engine stage per card.
"""

import dataclasses
import multiprocessing
import queue
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cardgen.cards import render_card
from ocr_gpu.config import engine_config

# The engine and the card generator, one import line each.
from ocr_gpu.engine import EngineConfig, read_card, warm_up

STAGES = ("decode", "locate", "detect", "recognize", "parse", "verify", "total")
_DONE = None


def _worker(config: EngineConfig, cards: Any, results: Any, ready: Any, go: Any) -> None:
    """One OCR process: warm up, then read cards off the shared queue until it is empty."""
    try:
        providers = warm_up(config)
    except Exception as error:  # the provider cannot run here (CUDA asked for, not present)
        results.put(("error", f"{type(error).__name__}: {error}"))
        ready.release()
        return
    results.put(("providers", providers))
    ready.release()
    go.wait()
    while (item := cards.get()) is not _DONE:
        doc_type, jpeg = item
        reading = read_card(jpeg, doc_type, config)
        results.put(("card", dict(reading.timings_ms)))


def _available_providers() -> list[str]:
    import onnxruntime

    cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    return ["cpu", "cuda"] if cuda else ["cpu"]


class Command(BaseCommand):
    help = "Cards/s and per-stage time of N OCR processes reading one shared queue, N = 1...max."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--processes", "--max-processes", dest="processes", type=int, default=4,
            help="measure N = 1...this many processes (default 4)",
        )  # fmt: skip
        parser.add_argument("--cards", type=int, default=16, help="generated cards per measurement")
        parser.add_argument("--seed", type=int, default=20261201)
        parser.add_argument(
            "--provider", choices=("cpu", "cuda"), action="append", help="cpu or cuda; default: all present"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["processes"] < 1 or options["cards"] < 1:
            raise CommandError("--processes and --cards must be at least 1")
        counts = range(1, options["processes"] + 1)
        providers = options["provider"] or _available_providers()
        self.stdout.write(f"Rendering {options['cards']} synthetic cards (seed {options['seed']}) ...")
        cards = []
        for index in range(options["cards"]):
            card, jpeg = render_card(options["seed"], index)
            cards.append((card.doc_type, jpeg))
        base = engine_config()
        header = f"{'provider':<8} {'N':>2} {'cards/s':>8} {'per proc':>8}" + "".join(
            f" {stage + ' ms':>12}" for stage in STAGES
        )
        self.stdout.write(
            f"\nOCR throughput: one shared queue of {len(cards)} cards; mean ms per card; second opinion "
            + ("on" if base.second_opinion else "off (OCR_SECOND_OPINION)")
        )
        self.stdout.write(header)
        for provider in providers:
            # The workers' own configuration (the second opinion included), on this provider.
            config = dataclasses.replace(base, gpu_enabled=provider == "cuda", autofallback=False)
            used = None
            for count in counts:
                measured = self._measure(config, count, cards)
                used = used or measured.get("providers")
                self.stdout.write(self._row(provider, count, measured))
            if used:
                self.stdout.write(f"  {provider}: ONNX Runtime providers {', '.join(used)}")

    def _measure(self, config: EngineConfig, count: int, cards: list) -> dict:
        context = multiprocessing.get_context("spawn")  # no inherited ONNX Runtime or Tesseract state
        work, results = context.Queue(), context.Queue()
        ready, go = context.Semaphore(0), context.Event()
        processes = [
            context.Process(target=_worker, args=(config, work, results, ready, go), daemon=True)
            for _ in range(count)
        ]
        for process in processes:
            process.start()
        try:
            for _ in processes:
                ready.acquire(timeout=600)
            setup = [results.get(timeout=60) for _ in processes]
            errors = [detail for kind, detail in setup if kind == "error"]
            if errors:
                return {"error": errors[0]}
            for card in cards:
                work.put(card)
            for _ in processes:
                work.put(_DONE)
            started = time.perf_counter()
            go.set()
            timings = [results.get(timeout=600)[1] for _ in cards]
            elapsed = time.perf_counter() - started
        except queue.Empty:
            return {"error": "timed out waiting for the OCR processes"}
        finally:
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.terminate()
        return {"elapsed": elapsed, "timings": timings, "providers": setup[0][1]}

    def _row(self, provider: str, count: int, measured: dict) -> str:
        if "error" in measured:
            return f"{provider:<8} {count:>2} unavailable: {measured['error']}"
        rate = len(measured["timings"]) / measured["elapsed"]
        means = [
            sum(timing.get(stage, 0.0) for timing in measured["timings"]) / len(measured["timings"])
            for stage in STAGES
        ]
        return f"{provider:<8} {count:>2} {rate:>8.2f} {rate / count:>8.2f}" + "".join(
            f" {mean:>12.1f}" for mean in means
        )
