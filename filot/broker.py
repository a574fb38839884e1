"""Dramatiq plumbing shared by every app: correlation ids and the embedded worker."""

import dramatiq
import structlog
from dramatiq.broker import Broker
from dramatiq.message import Message

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


_embedded_worker: dramatiq.Worker | None = None


def start_embedded_worker(*, threads: int = 2) -> dramatiq.Worker:
    """Run the actors inside this process (embedded mode: no Redis, no separate worker)."""
    global _embedded_worker
    if _embedded_worker is None:
        _embedded_worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=threads)
        _embedded_worker.start()
        log.info("embedded_worker_started", threads=threads, broker=type(dramatiq.get_broker()).__name__)
    return _embedded_worker


def stop_embedded_worker() -> None:
    global _embedded_worker
    if _embedded_worker is not None:
        _embedded_worker.stop()
        _embedded_worker = None
