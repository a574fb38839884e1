"""Correlation ids: echoed on every response, carried into dramatiq messages and their logs."""

import io
import logging
import uuid

import dramatiq
import pytest
import structlog

from filot.correlation import bind_correlation_id, unbind_correlation_id

pytestmark = pytest.mark.django_db

QUEUE = f"test-correlation-{uuid.uuid4().hex[:8]}"


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def log_something(marker: str) -> None:
    structlog.get_logger("tests.actor").info("actor_ran", marker=marker)


def test_a_given_request_id_is_echoed(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="client-chosen-id-42")
    assert response["X-Request-ID"] == "client-chosen-id-42"


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/health")["X-Request-ID"]
    second = client.get("/health")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_a_malformed_request_id_is_replaced_not_echoed(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert "<" not in response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32


def test_the_correlation_id_travels_into_the_message_and_the_actors_log_lines():
    broker = dramatiq.get_broker()
    assert type(broker).__name__ == "RedisBroker"  # the real broker, not a stub
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1)
    worker.start()
    try:
        bind_correlation_id("corr-from-request-77")
        message = log_something.send("marker-1")
        unbind_correlation_id()
        assert message.options["correlation_id"] == "corr-from-request-77"
        broker.join(QUEUE, timeout=10_000)
    finally:
        worker.stop()
        root.removeHandler(handler)
    actor_lines = [line for line in stream.getvalue().splitlines() if "actor_ran" in line]
    assert len(actor_lines) == 1
    assert "corr-from-request-77" in actor_lines[0]
