"""Broker plumbing: schema-version stamps and the embedded worker's periodic jobs."""

import threading

import dramatiq
from dramatiq.message import Message

from filot import broker as plumbing


def test_every_enqueued_message_carries_the_current_schema_version_and_keeps_a_given_one():
    stamp = plumbing.SchemaVersionMiddleware()
    fresh = Message(queue_name="q", actor_name="a", args=(), kwargs={}, options={})
    older = Message(queue_name="q", actor_name="a", args=(), kwargs={}, options={"schema_version": 0})
    stamp.before_enqueue(dramatiq.get_broker(), fresh, 0)
    stamp.before_enqueue(dramatiq.get_broker(), older, 0)
    assert fresh.options["schema_version"] == plumbing.MESSAGE_SCHEMA_VERSION
    assert older.options["schema_version"] == 0


def test_the_periodic_runner_runs_its_jobs_and_survives_a_failing_one():
    ran = threading.Event()

    def broken() -> None:
        raise RuntimeError("boom")

    runner = plumbing._PeriodicRunner({"broken": (broken, lambda: 1), "works": (ran.set, lambda: 1)})
    runner.start()
    try:
        assert ran.wait(timeout=5)
        ran.clear()
        assert ran.wait(timeout=5), "the job did not run again after the failing one"
    finally:
        runner.stopped.set()
        runner.join(timeout=5)
    assert not runner.is_alive()


def test_the_reaper_is_registered_for_the_embedded_worker():
    assert "reap_stuck_documents" in plumbing._periodic_jobs


def test_only_workers_that_read_cards_load_the_ocr_engine():
    from structlog.testing import capture_logs

    from ocr_gpu.middleware import WarmUpEngine

    broker = dramatiq.get_broker()
    loaded = {}
    for name, queues in (("default", ["default"]), ("ocr", ["ocr-gpu"]), ("all", None)):
        with capture_logs() as events:
            WarmUpEngine().after_worker_boot(broker, dramatiq.Worker(broker, queues=queues, worker_threads=1))
        loaded[name] = [event.get("providers") for event in events if event["event"] == "ocr_engine_ready"]
    # The OCR worker and the all-queues worker load the real model; the default-queue one does not.
    assert loaded == {"default": [], "ocr": [["CPUExecutionProvider"]], "all": [["CPUExecutionProvider"]]}
