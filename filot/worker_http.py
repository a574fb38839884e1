"""The worker's own HTTP server (port 8080): `/health` and `/metrics` from inside `rundramatiq`.

`WorkerHttpMiddleware` is a dramatiq middleware (settings' DRAMATIQ_BROKER). In every
worker process it counts the messages in flight and logs each queue pull; after the
worker boots, the first process of the host to bind `WORKER_HTTP_PORT` serves:

- `GET /health`: 200 when the broker answers and every check registered for the
  queues this worker consumes passes (settings' WORKER_HEALTH_CHECKS: the OCR worker
  reports the ONNX Runtime providers in use, CUDA or the CPU fallback), with the
  jobs in flight; 503 otherwise. Unauthenticated: the ECS health check curls it.
- `GET /metrics`: this host's merged metrics (see filot/metrics.py), with the same
  bearer-token rule as the web's `/metrics`.

The other processes find the port taken and leave it; the metrics they record reach
the server through the multiprocess folder. `/health` fails while the process group
is not whole (filot/worker_group.py: the parent gone, a worker process dead), and if
the serving process itself dies nothing answers: either way ECS replaces the task.
WORKER_HTTP_PORT=0 (the default outside production) serves nothing, so tests and `make run` start no server.
"""

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import structlog
from django.conf import settings
from django.utils.module_loading import import_string
from dramatiq.broker import MessageProxy
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from filot.metrics import (
    GPU_ACTIVE_JOBS,
    GPU_PROCESSING_TIME_MS,
    WORKER_JOBS,
    WORKER_JOBS_IN_FLIGHT,
    internal_access_refusal,
    process_metrics,
)
from filot.queues import OCR_QUEUE

log = structlog.get_logger(__name__)


def _canonical(queue_name: str) -> str:
    # Retries come back through the delay queue ("ocr-gpu.DQ"): count them as their queue.
    return queue_name.removesuffix(".DQ")


def check_broker() -> dict:
    from filot.health import check_redis  # imported here: this module loads before the apps

    return check_redis()  # the broker is the Redis of REDIS_URL


class WorkerHealth:
    """The checks of one worker: the broker, plus those registered for its queues."""

    def __init__(self, queues: set[str]) -> None:
        self.queues = sorted(queues)
        from filot.worker_group import check_process_group

        self.checks: dict[str, Callable[[], dict | None]] = {
            "broker": check_broker,
            "process_group": check_process_group,  # the parent and all its processes alive
        }
        for queue, checks in settings.WORKER_HEALTH_CHECKS.items():
            if queue in queues:
                self.checks.update({name: import_string(path) for name, path in checks.items()})

    def run(self) -> tuple[bool, dict]:
        results = {}
        for name, check in self.checks.items():
            started = time.perf_counter()
            try:
                result = {"ok": True, "error": None, **(check() or {})}
            except Exception as error:  # a health probe reports every failure, whatever it is
                described = f"{type(error).__name__}: {error}"
                log.warning("worker_health_check_failed", check=name, error=described)
                shown = "unavailable" if settings.PRODUCTION else described[:300]
                result = {"ok": False, "error": shown}
            result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
            results[name] = result
        return all(result["ok"] for result in results.values()), results

    def warm_up(self) -> None:
        """Run the checks once in the background: the OCR check loads the model then."""
        threading.Thread(target=self.run, name="worker-health-warm-up", daemon=True).start()


def jobs_in_flight(queues: list[str]) -> dict[str, int]:
    """Messages in flight on this host, by queue, from the merged metrics."""
    counts = dict.fromkeys(queues, 0)
    for family in process_metrics().collect():
        if family.name == "filot_worker_jobs_in_flight":
            for sample in family.samples:
                queue = sample.labels.get("queue", "")
                if queue in counts:
                    counts[queue] += int(sample.value)
    return counts


def _error(status: int, message: str) -> bytes:
    # The project's error shape (filot.api), without importing DRF into the worker's boot.
    codes = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
    return json.dumps({"error": {"code": codes[status], "message": message, "details": None}}).encode()


class _Handler(BaseHTTPRequestHandler):
    server_version = "filot-worker"
    health: WorkerHealth

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            ok, checks = self.health.run()
            in_flight = jobs_in_flight(self.health.queues)
            body = {
                "status": "ok" if ok else "unavailable",
                "queues": self.health.queues,
                "jobs_in_flight": sum(in_flight.values()),
                "jobs_in_flight_by_queue": in_flight,
                "checks": checks,
            }
            self._send(200 if ok else 503, json.dumps(body).encode(), "application/json")
        elif path == "/metrics":
            refusal = internal_access_refusal(self.headers.get("Authorization", ""))
            if refusal is not None:
                status, message = refusal
                extra = {"WWW-Authenticate": 'Bearer realm="filot-internal"'} if status == 401 else {}
                self._send(status, _error(status, message), "application/json", extra)
            else:
                self._send(200, generate_latest(process_metrics()), CONTENT_TYPE_LATEST)
        else:
            self._send(404, _error(404, "Not found."), "application/json")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # probes every few seconds would drown the worker's log


def serve(health: WorkerHealth, host: str, port: int) -> ThreadingHTTPServer | None:
    """Bind and serve in a daemon thread; None when another process of the host has the port."""
    handler = type("WorkerHandler", (_Handler,), {"health": health})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        log.info("worker_http_port_taken", port=port, error=str(error))
        return None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    log.info("worker_http_started", host=host, port=server.server_address[1], queues=health.queues)
    return server


class WorkerHttpMiddleware(dramatiq.Middleware):
    def __init__(self) -> None:
        self.server: ThreadingHTTPServer | None = None
        self.started: dict[str, float] = {}

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        port = settings.WORKER_HTTP_PORT
        if not port or self.server is not None:
            return
        queues = worker.consumer_whitelist or broker.get_declared_queues()
        health = WorkerHealth({_canonical(queue) for queue in queues})
        self.server = serve(health, settings.WORKER_HTTP_HOST, port)
        if self.server is not None:
            health.warm_up()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        queue = _canonical(message.queue_name)
        self.started[message.message_id] = time.perf_counter()
        WORKER_JOBS_IN_FLIGHT.labels(queue=queue).inc()
        if queue == OCR_QUEUE:
            GPU_ACTIVE_JOBS.inc()
        log.info("queue_pull", queue=queue, retries=message.options.get("retries", 0))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        queue = _canonical(message.queue_name)
        started = self.started.pop(message.message_id, None)
        if started is None:
            return
        WORKER_JOBS_IN_FLIGHT.labels(queue=queue).dec()
        WORKER_JOBS.labels(queue=queue, outcome="error" if exception else "ok").inc()
        if queue == OCR_QUEUE:
            GPU_ACTIVE_JOBS.dec()
            if exception is None:
                GPU_PROCESSING_TIME_MS.observe((time.perf_counter() - started) * 1000)

    after_skip_message = after_process_message
