"""The worker's own HTTP server, started in this process as a worker process starts it."""

import json
import urllib.error
import urllib.request

import pytest

from filot.worker_http import WorkerHealth, serve
from tests.stack import free_port

KEY = "svc-R5tY8uI2oP6aS9dF3gH7jK1-c4Vb9nM"


def get(port: int, path: str, token: str | None = None) -> tuple[int, dict | str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    return status, json.loads(body) if body.startswith("{") else body


@pytest.fixture
def worker_server(settings):
    settings.SERVICE_INTERNAL_KEY = KEY
    port = free_port()
    server = serve(WorkerHealth({"default"}), "127.0.0.1", port)
    yield port
    server.shutdown()
    server.server_close()


def test_health_is_ok_with_the_broker_and_reports_the_jobs_in_flight(worker_server):
    status, body = get(worker_server, "/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["queues"] == ["default"]
    assert body["jobs_in_flight_by_queue"] == {"default": 0}
    assert body["checks"]["broker"]["ok"] is True


def test_health_is_503_when_the_broker_is_unreachable(worker_server, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    status, body = get(worker_server, "/health")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert "ConnectionError" in body["checks"]["broker"]["error"]


def test_a_second_process_finds_the_port_taken_and_serves_nothing(worker_server):
    assert serve(WorkerHealth({"default"}), "127.0.0.1", worker_server) is None


def test_metrics_answer_the_service_key_only(worker_server):
    assert get(worker_server, "/metrics")[0] == 401
    assert get(worker_server, "/metrics", token="x" * 40)[0] == 403
    status, text = get(worker_server, "/metrics", token=KEY)
    assert status == 200
    assert "# TYPE filot_worker_jobs_in_flight gauge" in text
    assert get(worker_server, "/admin/")[0] == 404
