"""/health and /health/ready: unauthenticated JSON, 503 when a dependency is down, rate limited."""

import pytest

pytestmark = pytest.mark.django_db


def test_liveness_answers_ok_without_authentication(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_reports_each_dependency_with_its_latency(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert set(checks) == {"database", "redis", "storage", "ocr_engine"}
    for check in checks.values():
        assert check["ok"] is True
        assert check["error"] is None
        assert check["latency_ms"] >= 0
    assert checks["database"]["vendor"] == "postgresql"
    assert checks["ocr_engine"]["detection_model"] == "ch_PP-OCRv4_det_infer.onnx"


def test_readiness_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_readiness_is_503_when_the_detection_model_is_missing(client, settings, tmp_path):
    settings.OCR_DETECTION_MODEL_PATH = str(tmp_path / "missing.onnx")
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "detection model not found" in response.json()["checks"]["ocr_engine"]["error"]


def test_readiness_hides_internal_detail_in_production(client, settings):
    settings.PRODUCTION = True
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["error"] == "unavailable"


def test_health_endpoints_are_rate_limited_per_client(client, settings):
    for _ in range(120):
        assert client.get("/health").status_code == 200
    response = client.get("/health")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another client address is not affected.
    assert client.get("/health", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_health_refuses_other_methods(client):
    assert client.post("/health").status_code == 405
