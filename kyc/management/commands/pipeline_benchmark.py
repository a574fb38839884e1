"""`manage.py pipeline_benchmark --documents N`: generated cards through the API into
real workers; prints throughput and upload→decision latency.

Each card gets its own throwaway applicant whose profile matches the card, so the
decisions are the ones real applicants would get. With REDIS_URL set it starts
`manage.py rundramatiq` (both queues, `--processes`, one thread each, like production
workers) unless `--no-workers` says workers are already running; in embedded mode it
runs the in-process worker. Benchmark data is deleted afterwards unless `--keep`.
"""

import contextlib
import io
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from rest_framework.test import APIClient

from cardgen.cards import render_card
from kyc.models import Document, DocumentTransition, OcrResult, Profile, Status, User

SETTLED = (Status.AUTO_APPROVED, Status.AUTO_REJECTED, Status.NEEDS_REVIEW, Status.FAILED)
BENCH_DOMAIN = "pipeline-benchmark.invalid"


class Command(BaseCommand):
    help = "Push N generated cards through the API into real workers; print throughput and latency."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--documents", type=int, default=20)
        parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
        parser.add_argument("--processes", type=int, default=1, help="worker processes to start")
        parser.add_argument("--no-workers", action="store_true", help="workers are already running")
        parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for decisions")
        parser.add_argument("--keep", action="store_true", help="keep the benchmark's users and documents")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["documents"]
        if count < 1:
            raise CommandError("--documents must be at least 1")
        self.stdout.write(f"Rendering {count} synthetic cards (seed {options['seed']}) ...")
        cards = [render_card(options["seed"], index) for index in range(count)]
        run = uuid.uuid4().hex[:8]
        workers = None if options["no_workers"] else self._start_workers(options["processes"])
        try:
            time.sleep(0 if workers is None else 3)  # let the workers boot and warm up
            started = time.monotonic()
            with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
                ids = [self._upload(run, index, card, jpeg) for index, (card, jpeg) in enumerate(cards)]
            uploaded = time.monotonic()
            self._wait(ids, options["timeout"])
            finished = time.monotonic()
            self._report(ids, started, uploaded, finished)
        finally:
            if workers is not None:
                self._stop_workers(workers)
            if not options["keep"]:
                _delete_benchmark_data(run)

    # --- steps ----------------------------------------------------------------------
    def _start_workers(self, processes: int) -> subprocess.Popen | None:
        if settings.EMBEDDED_WORKER:
            from filot.broker import start_embedded_worker

            start_embedded_worker(periodic=False)
            self.stdout.write("Embedded mode: in-process worker.")
            return None
        self.stdout.write(f"Starting rundramatiq: {processes} process(es), 1 thread each, both queues ...")
        log = Path(settings.DATA_DIR) / "pipeline-benchmark-worker.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        return subprocess.Popen(
            [sys.executable, "manage.py", "rundramatiq", "--processes", str(processes), "--threads", "1"],
            cwd=settings.BASE_DIR,
            env=_worker_env(),
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _stop_workers(self, workers: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(workers.pid, signal.SIGTERM)
        try:
            workers.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(workers.pid, signal.SIGKILL)

    def _upload(self, run: str, index: int, card: Any, jpeg: bytes) -> str:
        user = User.objects.create_user(email=f"{run}-{index}@{BENCH_DOMAIN}", password=None)
        client = APIClient(REMOTE_ADDR=f"10.77.{index // 250}.{index % 250 + 1}")  # one address each, as real
        client.force_authenticate(user)
        profile = {
            "full_name": card.fields.get("name", ""),
            "date_of_birth": card.fields.get("birth_date"),
            "nik": card.fields.get("nik", ""),
        }
        response = client.put("/api/v1/profile", profile, format="json")
        if response.status_code != 200:
            client.put(
                "/api/v1/profile", {"full_name": profile["full_name"], "date_of_birth": None}, format="json"
            )
        file = io.BytesIO(jpeg)
        file.name = "card.jpg"
        response = client.post(
            "/api/v1/documents",
            {"doc_type": card.doc_type, "file": file, "consent": "true"},
            format="multipart",
        )
        if response.status_code != 201:
            raise CommandError(f"upload {index} refused: {response.status_code} {response.content[:200]!r}")
        return response.json()["id"]

    def _wait(self, ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = Document.objects.filter(pk__in=ids, status__in=SETTLED).count()
            if done == len(ids):
                return
            time.sleep(0.25)
        raise CommandError(f"only {done} of {len(ids)} documents decided within {timeout:.0f} s")

    def _report(self, ids: list[str], started: float, uploaded: float, finished: float) -> None:
        latencies = []
        for document_id in ids:
            trail = list(DocumentTransition.objects.filter(document_id=document_id).order_by("at", "id"))
            latencies.append((trail[-1].at - trail[0].at).total_seconds() * 1000)
        outcomes = {status: Document.objects.filter(pk__in=ids, status=status).count() for status in SETTLED}
        gpu = Document.objects.filter(pk__in=ids, gpu_processed=True).count()
        elapsed = finished - started
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, max(0, round(0.95 * len(latencies)) - 1))]
        self.stdout.write(
            "\n".join(
                [
                    f"documents            {len(ids)}",
                    f"uploads took         {uploaded - started:.1f} s",
                    f"all decided after    {elapsed:.1f} s",
                    f"throughput           {len(ids) / elapsed * 60:.1f} documents/min",
                    f"latency p50          {statistics.median(latencies):.0f} ms (upload -> decision)",
                    f"latency p95          {p95:.0f} ms",
                    f"latency max          {latencies[-1]:.0f} ms",
                    "outcomes             " + ", ".join(f"{k}={v}" for k, v in outcomes.items()),
                    f"gpu_processed        {gpu}/{len(ids)}",
                ]
            )
        )


def _worker_env() -> dict[str, str]:
    """This process's storage and NIK keys (outside production both may come from the
    data folder rather than the environment), so workers read what it wrote."""
    return {
        **os.environ,
        "OMP_THREAD_LIMIT": "1",
        "FILOT_DATA_DIR": str(settings.DATA_DIR),
        "NIK_ENCRYPTION_KEYS": ",".join(settings.NIK_ENCRYPTION_KEYS),
        "NIK_BLIND_INDEX_KEY": settings.NIK_BLIND_INDEX_KEY,
    }


def _delete_benchmark_data(run: str) -> None:
    """Synthetic applicants and their documents only; nothing else is touched."""
    with transaction.atomic():
        users = User.objects.filter(email__startswith=f"{run}-", email__endswith=f"@{BENCH_DOMAIN}")
        documents = Document.objects.filter(owner__in=users)
        DocumentTransition.objects.filter(document__in=documents).delete()
        OcrResult.objects.filter(document__in=documents).delete()
        # The review records of needs_review documents (the reviews app, if installed).
        for label, link in (
            ("reviews.ReviewEvent", "review__document__in"),
            ("reviews.ManualReview", "document__in"),
        ):
            with contextlib.suppress(LookupError):
                apps.get_model(label).objects.filter(**{link: documents}).delete()
        keys = list(documents.values_list("storage_key", flat=True))
        documents.delete()
        Profile.objects.filter(user__in=users).delete()
        users.delete()
        transaction.on_commit(lambda: _delete_files(keys))


def _delete_files(keys: list[str]) -> None:
    """Each document's folder: the image and every reading written beside it."""
    for key in keys:
        folder = key.rsplit("/", 1)[0]
        with contextlib.suppress(OSError):
            for name in default_storage.listdir(folder)[1]:
                default_storage.delete(f"{folder}/{name}")
