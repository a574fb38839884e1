"""Dramatiq plumbing shared by every app: correlation ids, message schema versions,
the embedded worker and its periodic jobs."""

import threading
import time
from collections.abc import Callable

import dramatiq
import structlog
from django.db import close_old_connections
from dramatiq.broker import Broker
from dramatiq.message import Message
from dramatiq.middleware import SkipMessage

from filot.correlation import current_correlation_id, new_correlation_id

log = structlog.get_logger(__name__)


class CorrelationMiddleware(dramatiq.Middleware):
    """Carry the correlation id of the code that sends a message into the work it causes.

    On enqueue the id bound in the sender's context is written into the message
    options; while a worker processes the message the id is bound again, so every
    log line of the actor (and every message it sends) carries it.
    """

    def before_enqueue(self, broker: Broker, message: Message, delay: int) -> None:
        message.options.setdefault("correlation_id", current_correlation_id() or new_correlation_id())

    def before_process_message(self, broker: Broker, message: Message) -> None:
        structlog.contextvars.bind_contextvars(
            correlation_id=message.options.get("correlation_id") or new_correlation_id(),
            message_id=message.message_id,
            actor=message.actor_name,
        )

    def after_process_message(self, broker: Broker, message: Message, *, result=None, exception=None) -> None:
        structlog.contextvars.unbind_contextvars("correlation_id", "message_id", "actor")

    after_skip_message = after_process_message


#: The shape of every message this code sends: actor names, argument lists and the
#: options it relies on. Bump it when any of them changes incompatibly, and keep the
#: old number in SUPPORTED_SCHEMA_VERSIONS until no old worker or queued message is left.
MESSAGE_SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})


class SchemaVersionMiddleware(dramatiq.Middleware):
    """Stamp every message with the schema version of the code that sent it, and refuse
    to process a version this code does not know.

    During a rolling deploy old and new workers share the queues; a worker that would
    misread a newer message dead-letters it instead (nacked, kept by the broker, logged
    as an error) so nothing is silently misread or lost.
    """

    def before_enqueue(self, broker: Broker, message: Message, delay: int) -> None:
        message.options.setdefault("schema_version", MESSAGE_SCHEMA_VERSION)

    def before_process_message(self, broker: Broker, message: Message) -> None:
        version = message.options.get("schema_version")
        if version not in SUPPORTED_SCHEMA_VERSIONS:
            log.error(
                "message_schema_version_refused",
                message_id=message.message_id,
                actor=message.actor_name,
                schema_version=version,
                supported=sorted(SUPPORTED_SCHEMA_VERSIONS),
            )
            message.fail()
            raise SkipMessage(f"unknown message schema version {version!r}")


def queue_length(queue: str) -> int:
    """Messages waiting on `queue`, retries waiting for their backoff included (not the
    ones a worker holds right now). Raises when the broker cannot be reached."""
    broker = dramatiq.get_broker()
    names = (queue, f"{queue}.DQ")
    if hasattr(broker, "client"):  # the Redis broker
        return sum(broker.client.llen(f"{broker.namespace}:{name}") for name in names)
    return sum(broker.queues[name].qsize() for name in names if name in broker.queues)


# --- the embedded worker -----------------------------------------------------------
_periodic_jobs: dict[str, tuple[Callable[[], object], Callable[[], float]]] = {}


def register_periodic(name: str, job: Callable[[], object], *, every: Callable[[], float]) -> None:
    """A job the embedded worker runs every `every()` seconds (production schedules it
    outside the process instead, e.g. an ECS scheduled task)."""
    _periodic_jobs[name] = (job, every)


class _PeriodicRunner(threading.Thread):
    def __init__(
        self, jobs: dict[str, tuple[Callable[[], object], Callable[[], float]]] | None = None
    ) -> None:
        super().__init__(name="filot-periodic", daemon=True)
        self.stopped = threading.Event()
        self.jobs = _periodic_jobs if jobs is None else jobs

    def run(self) -> None:
        next_run = dict.fromkeys(self.jobs, 0.0)
        while not self.stopped.wait(1.0 if any(next_run.values()) else 0):
            now = time.monotonic()
            for name, (job, every) in list(self.jobs.items()):
                if now < next_run.get(name, 0.0):
                    continue
                next_run[name] = now + every()
                close_old_connections()  # a connection dropped since the last run is replaced
                try:
                    job()
                except Exception:  # a periodic job's failure must not end the loop
                    log.exception("periodic_job_failed", job=name)
                finally:
                    close_old_connections()


_embedded_worker: dramatiq.Worker | None = None
_periodic_runner: _PeriodicRunner | None = None


def start_embedded_worker(*, threads: int = 2, periodic: bool = True) -> dramatiq.Worker:
    """Run the actors inside this process (embedded mode: no Redis, no separate worker),
    and the registered periodic jobs beside them."""
    global _embedded_worker, _periodic_runner
    if _embedded_worker is None:
        _embedded_worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=threads)
        _embedded_worker.start()
        log.info("embedded_worker_started", threads=threads, broker=type(dramatiq.get_broker()).__name__)
    if periodic and _periodic_runner is None:
        _periodic_runner = _PeriodicRunner()
        _periodic_runner.start()
    return _embedded_worker


def stop_embedded_worker() -> None:
    global _embedded_worker, _periodic_runner
    if _periodic_runner is not None:
        _periodic_runner.stopped.set()
        _periodic_runner = None
    if _embedded_worker is not None:
        _embedded_worker.stop()
        _embedded_worker = None
