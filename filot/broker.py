"""Dramatiq plumbing shared by every app: the Redis broker with short timeouts,
correlation ids, message schema versions, in-flight markers, dead workers' messages
requeued on demand, the embedded worker and its periodic jobs."""

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import dramatiq
import redis
import structlog
from django.conf import settings
from django.db import close_old_connections
from dramatiq.broker import Broker, MessageProxy
from dramatiq.brokers.redis import RedisBroker as DramatiqRedisBroker
from dramatiq.message import Message
from dramatiq.middleware import SkipMessage

from filot.correlation import current_correlation_id, new_correlation_id
from filot.redis_client import FailFastConnectionPool

log = structlog.get_logger(__name__)
INFLIGHT_PREFIX = "filot:inflight:"


class RedisBroker(DramatiqRedisBroker):
    """Dramatiq's Redis broker whose connections time out and go through the process's
    breaker (filot/redis_client.py): a frozen Redis costs a send at most
    DRAMATIQ_SOCKET_TIMEOUT_MS, and in the web (where a send that fails is owed and
    sent later by the reaper) one failure makes the next sends fail at once.

    A message for a document marks it in flight (InFlightMarkers) before it is
    enqueued, here rather than in a middleware hook: dramatiq logs and ignores a hook's
    failure, and a message without its marker would look lost to the reaper."""

    def __init__(self, *, url: str, connect_timeout_ms: int, socket_timeout_ms: int, **options: Any) -> None:
        pool = FailFastConnectionPool.from_url(
            url,
            socket_connect_timeout=connect_timeout_ms / 1000,
            socket_timeout=socket_timeout_ms / 1000,
            health_check_interval=30,
        )
        super().__init__(connection_pool=pool, **options)

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        document_id = message.options.get("document_id")
        if document_id:
            mark_in_flight(self.client, [document_id])
        return super().enqueue(message, delay=delay)

    def requeue_dead_workers_messages(self, queues: Iterable[str]) -> None:
        """Run dramatiq's maintenance on each queue now: the messages of workers whose
        heartbeat is older than `heartbeat_timeout` go back to their queues.

        Dramatiq runs it by chance only (`maintenance_chance` per million broker calls,
        and only for the queue of the call), so without this a SIGKILLed worker's
        messages wait a random, load-dependent time; the reaper calls it every pass.
        """
        dispatch = self.scripts["dispatch"]
        for queue in queues:
            arguments = [
                "maintenance",  # no command of dispatch.lua: only its maintenance part runs
                int(time.time() * 1000),
                queue,
                self.broker_id,
                self.heartbeat_timeout,
                self.dead_message_ttl,
                1,  # do the maintenance
                self._max_unpack_size(),
            ]
            dispatch(args=arguments, keys=[self.namespace])


class CorrelationMiddleware(dramatiq.Middleware):
    """Carry the correlation id of the code that sends a message into the work it causes.

    On enqueue the id bound in the sender's context is written into the message
    options; while a worker processes the message the id is bound again, so every
    log line of the actor (and every message it sends) carries it.
    """

    def before_enqueue(self, broker: Broker, message: Message, delay: int) -> None:
        message.options.setdefault("correlation_id", current_correlation_id() or new_correlation_id())

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        structlog.contextvars.bind_contextvars(
            correlation_id=message.options.get("correlation_id") or new_correlation_id(),
            message_id=message.message_id,
            actor=message.actor_name,
        )

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
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

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
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


class InFlightMarkers(dramatiq.Middleware):
    """A marker in Redis for every document that has a message on this broker.

    A message carrying the `document_id` option sets `filot:inflight:<id>` before it is
    enqueued (so the marker exists whenever the message does), with a long TTL; a
    worker processing such a message sets it again every KYC_INFLIGHT_REFRESH_SECONDS.
    When Redis loses its data (FLUSHALL, a restart without persistence) markers and
    messages go together: the reaper re-sends a `processing` document whose marker is
    gone (kyc/services/reaper.py) — and leaves alone one whose message is merely queued.
    """

    def __init__(self) -> None:
        self.active: dict[str, int] = {}
        self.lock = threading.Lock()
        self.refresher: threading.Thread | None = None

    def before_enqueue(self, broker: Broker, message: Message, delay: int) -> None:
        # filot's RedisBroker marks in its enqueue (a failure there fails the send).
        document_id = message.options.get("document_id")
        if document_id and isinstance(broker, DramatiqRedisBroker) and not isinstance(broker, RedisBroker):
            mark_in_flight(broker.client, [document_id])

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        document_id = message.options.get("document_id")
        if document_id:
            with self.lock:
                self.active[document_id] = self.active.get(document_id, 0) + 1

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        document_id = message.options.get("document_id")
        with self.lock:
            if document_id in self.active:
                self.active[document_id] -= 1
                if self.active[document_id] <= 0:
                    del self.active[document_id]

    after_skip_message = after_process_message

    def after_worker_boot(self, broker: Broker, worker: dramatiq.Worker) -> None:
        if isinstance(broker, DramatiqRedisBroker) and self.refresher is None:
            self.refresher = threading.Thread(
                target=self._refresh, args=(broker,), name="filot-inflight", daemon=True
            )
            self.refresher.start()

    def _refresh(self, broker: DramatiqRedisBroker) -> None:
        while True:
            time.sleep(settings.KYC_INFLIGHT_REFRESH_SECONDS)
            with self.lock:
                active = list(self.active)
            if not active:
                continue
            try:
                mark_in_flight(broker.client, active)
            except redis.RedisError as error:  # Redis is down: nothing to mark it in
                log.warning("inflight_refresh_failed", error=type(error).__name__)


def mark_in_flight(client: redis.Redis, document_ids: Iterable[str]) -> None:
    with client.pipeline(transaction=False) as pipe:
        for document_id in document_ids:
            pipe.set(f"{INFLIGHT_PREFIX}{document_id}", "1", ex=settings.KYC_INFLIGHT_MARKER_TTL_SECONDS)
        pipe.execute()


def unmarked_documents(document_ids: list[str]) -> list[str]:
    """The documents with no in-flight marker on the broker (their messages were lost).
    Raises when the broker cannot be reached; [] with the in-process (embedded) broker."""
    broker = dramatiq.get_broker()
    if not isinstance(broker, DramatiqRedisBroker) or not document_ids:
        return []
    missing = []
    for start in range(0, len(document_ids), 500):
        chunk = document_ids[start : start + 500]
        values = broker.client.mget([f"{INFLIGHT_PREFIX}{document_id}" for document_id in chunk])
        missing += [document_id for document_id, value in zip(chunk, values, strict=True) if value is None]
    return missing


def requeue_dead_workers_messages() -> None:
    """Dead workers' messages back on their queues now (RedisBroker's docstring)."""
    from filot.queues import DEFAULT_QUEUE, OCR_QUEUE

    broker = dramatiq.get_broker()
    if isinstance(broker, RedisBroker):
        queues = {DEFAULT_QUEUE, OCR_QUEUE, *broker.get_declared_queues()}
        broker.requeue_dead_workers_messages(sorted(queues | {f"{queue}.DQ" for queue in queues}))


def queue_length(queue: str) -> int:
    """Messages waiting on `queue`, retries waiting for their backoff included (not the
    ones a worker holds right now). Raises when the broker cannot be reached."""
    broker = dramatiq.get_broker()
    names = (queue, f"{queue}.DQ")
    if isinstance(broker, DramatiqRedisBroker):
        return sum(broker.client.llen(f"{broker.namespace}:{name}") for name in names)
    return sum(broker.queues[name].qsize() for name in names if name in broker.queues)


# --- the embedded worker and periodic jobs ------------------------------------------
_periodic_jobs: dict[str, tuple[Callable[[], object], Callable[[], float]]] = {}


def register_periodic(name: str, job: Callable[[], object], *, every: Callable[[], float]) -> None:
    """A job run every `every()` seconds by the embedded worker, and by the worker
    processes that reach the database (WorkerPeriodicJobs). With a Redis broker one
    process of the whole fleet runs each pass (`claim_pass`)."""
    _periodic_jobs[name] = (job, every)


def claim_pass(name: str, seconds: float) -> bool:
    """True for the one process that may run `name`'s pass of the next `seconds`
    (a Redis SET NX with expiry); True as well when Redis cannot say (better two
    passes, each safe under row locks, than none)."""
    broker = dramatiq.get_broker()
    if not isinstance(broker, DramatiqRedisBroker):
        return True
    try:
        ttl_ms = max(int(seconds * 1000) - 500, 500)
        return bool(broker.client.set(f"filot:periodic:{name}", broker.broker_id, nx=True, px=ttl_ms))
    except redis.RedisError as error:
        log.warning("periodic_claim_unavailable", job=name, error=type(error).__name__)
        return True


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
                interval = every()
                next_run[name] = now + interval
                close_old_connections()  # a connection dropped since the last run is replaced
                try:
                    if claim_pass(name, interval):
                        job()
                except Exception:  # a periodic job's failure must not end the loop
                    log.exception("periodic_job_failed", job=name)
                finally:
                    close_old_connections()


_embedded_worker: dramatiq.Worker | None = None
_periodic_runner: _PeriodicRunner | None = None


def start_periodic_runner() -> None:
    global _periodic_runner
    if _periodic_runner is None:
        _periodic_runner = _PeriodicRunner()
        _periodic_runner.start()
        log.info("periodic_jobs_started", jobs=sorted(_periodic_jobs))


def stop_periodic_runner() -> None:
    global _periodic_runner
    if _periodic_runner is not None:
        _periodic_runner.stopped.set()
        _periodic_runner = None


class WorkerPeriodicJobs(dramatiq.Middleware):
    """Worker processes that reach the database run the periodic jobs (the reaper), so
    lost work is noticed within REAPER_INTERVAL_SECONDS, not at a scheduled task's
    minute-plus cadence. OCR workers in production have no database and run none."""

    def __init__(self) -> None:
        self.worker_process = False

    def after_process_boot(self, broker: Broker) -> None:
        self.worker_process = True  # a dramatiq worker process (not a worker inside a test or the web)

    def after_worker_boot(self, broker: Broker, worker: dramatiq.Worker) -> None:
        has_database = settings.DATABASES["default"]["ENGINE"] != "django.db.backends.dummy"
        redis_broker = isinstance(broker, DramatiqRedisBroker)
        if self.worker_process and settings.REAPER_IN_WORKERS and has_database and redis_broker:
            start_periodic_runner()

    def before_worker_shutdown(self, broker: Broker, worker: dramatiq.Worker) -> None:
        if isinstance(broker, DramatiqRedisBroker):
            stop_periodic_runner()


def start_embedded_worker(*, threads: int = 2, periodic: bool = True) -> dramatiq.Worker:
    """Run the actors inside this process (embedded mode: no Redis, no separate worker),
    and the registered periodic jobs beside them."""
    global _embedded_worker
    if _embedded_worker is None:
        _embedded_worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=threads)
        _embedded_worker.start()
        log.info("embedded_worker_started", threads=threads, broker=type(dramatiq.get_broker()).__name__)
    if periodic:
        start_periodic_runner()
    return _embedded_worker


def stop_embedded_worker() -> None:
    global _embedded_worker
    stop_periodic_runner()
    if _embedded_worker is not None:
        _embedded_worker.stop()
        _embedded_worker = None
