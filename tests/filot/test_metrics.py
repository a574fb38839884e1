"""/metrics: Prometheus text for internal scrapers only, with the contract names."""

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyc.models import Document

pytestmark = pytest.mark.django_db
KEY = "svc-R5tY8uI2oP6aS9dF3gH7jK1-c4Vb9nM"


@pytest.fixture
def internal_key(settings):
    settings.SERVICE_INTERNAL_KEY = KEY
    return KEY


def scrape(client, key: str = KEY) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} is not in the scrape"
    return float(match.group(1))


def upload_ktp(client, jpeg: bytes, capture) -> str:
    with capture(execute=True):
        response = client.post(
            "/api/v1/documents",
            {
                "doc_type": "KTP",
                "consent": "true",
                "file": SimpleUploadedFile("ktp.jpg", jpeg, content_type="image/jpeg"),
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_metrics_without_credentials_is_401_in_the_error_shape(client, internal_key):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "not_authenticated"


def test_metrics_with_a_wrong_key_is_403(client, internal_key):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-service-key-at-all-0000000")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_metrics_with_a_user_token_instead_of_the_service_key_is_403(alice_api, internal_key):
    # alice_api carries alice's JWT as a bearer token: a user is not a scraper.
    response = alice_api.get("/metrics")
    assert response.status_code == 403


def test_metrics_are_refused_to_everyone_when_no_service_key_is_configured(client, settings):
    settings.SERVICE_INTERNAL_KEY = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403
    assert "SERVICE_INTERNAL_KEY" in response.json()["error"]["message"]


def test_metrics_only_answer_get(client, internal_key):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {KEY}")
    assert response.status_code == 405


def test_the_scrape_names_every_contract_metric(client, internal_key):
    text = scrape(client)
    for name in (
        "filot_queue_length gauge",
        "filot_gpu_active_jobs gauge",
        "filot_gpu_processing_time_ms histogram",
        "filot_verification_latency_ms histogram",
        "filot_buli2_retry_count_total counter",
        "filot_documents gauge",
        "filot_decisions_total counter",
        "filot_gpu_fallbacks_total counter",
    ):
        assert f"# TYPE {name}\n" in text, name
    assert value(text, 'filot_metrics_collector_up{collector="queue_length"}') == 1.0
    assert value(text, 'filot_metrics_collector_up{collector="documents"}') == 1.0


def test_an_upload_shows_in_documents_by_status_and_in_the_ocr_queue_length(
    client, alice_api, internal_key, ktp_jpeg, django_capture_on_commit_callbacks
):
    before = scrape(client)
    assert value(before, 'filot_documents{status="processing"}') == 0.0
    assert value(before, 'filot_documents{status="auto_approved"}') == 0.0
    upload_ktp(alice_api, ktp_jpeg, django_capture_on_commit_callbacks)
    after = scrape(client)
    assert Document.objects.filter(status="processing").count() == 1
    assert value(after, 'filot_documents{status="processing"}') == 1.0
    # Other tests share this Redis database: compare, don't assume it was empty.
    queued = 'filot_queue_length{queue="ocr-gpu"}'
    assert value(after, queued) == value(before, queued) + 1
    assert value(after, 'filot_queue_length{queue="default"}') >= 0


def test_an_unreachable_redis_is_reported_in_the_scrape_not_as_an_error(client, internal_key, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    text = scrape(client)
    assert value(text, 'filot_metrics_collector_up{collector="queue_length"}') == 0.0
    assert value(text, 'filot_metrics_collector_up{collector="documents"}') == 1.0
    assert "filot_queue_length{" not in text


def test_probes_by_task_address_are_answered_but_other_paths_keep_host_validation(client, settings):
    settings.ALLOWED_HOSTS = ["kyc.example.com"]
    # The ALB's health check and a scraper address the task by its private IP.
    assert client.get("/health", HTTP_HOST="10.0.3.17:8080").status_code == 200
    assert client.get("/metrics", HTTP_HOST="10.0.3.17:8080").status_code in (401, 403)
    assert client.get("/api/v1/documents", HTTP_HOST="10.0.3.17:8080").status_code == 400
    assert client.get("/health", HTTP_HOST="kyc.example.com").status_code == 200


def samples(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` that carry `labels` (in any order); 0 when absent."""
    total = 0.0
    for found, number in re.findall(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE):
        carried = dict(re.findall(r'(\w+)="([^"]*)"', found))
        if labels.items() <= carried.items():
            total += float(number)
    return total


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_after_a_document_is_decided_the_scrape_has_real_values_for_every_contract_metric(
    client, alice_api, internal_key, worker, log_output
):
    from cardgen.cards import render_card

    card, jpeg = next(
        (card, jpeg)
        for card, jpeg in (render_card(20261122, index) for index in range(100))
        if card.doc_type == "KTP" and card.difficulty == "clean" and not card.expected_checks
    )
    profile = {
        "full_name": card.fields["name"],
        "date_of_birth": card.fields["birth_date"],
        "nik": card.fields["nik"],
        "phone": "+62 812 0000 0000",
    }
    assert alice_api.put("/api/v1/profile", profile, format="json").status_code == 200
    before = scrape(client)
    response = alice_api.post(
        "/api/v1/documents",
        {
            "doc_type": "KTP",
            "consent": "true",
            "file": SimpleUploadedFile("ktp.jpg", jpeg, content_type="image/jpeg"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    deadline = time.monotonic() + 90
    decided = {"auto_approved", "auto_rejected", "needs_review"}
    while Document.objects.get(pk=document_id).status not in decided | {"failed"}:
        assert time.monotonic() < deadline, "no decision within 90 s"
        time.sleep(0.2)
    outcome = Document.objects.get(pk=document_id).status
    assert outcome in decided
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return samples(after, name, **labels) - samples(before, name, **labels)

    assert value(after, f'filot_documents{{status="{outcome}"}}') == 1.0
    assert value(after, 'filot_queue_length{queue="ocr-gpu"}') == 0.0
    assert value(after, 'filot_queue_length{queue="default"}') == 0.0
    assert grew("filot_decisions_total", outcome=outcome) == 1
    assert grew("filot_verification_latency_ms_count") == 1
    assert 0 < grew("filot_verification_latency_ms_sum") < 90_000
    assert grew("filot_gpu_processing_time_ms_count") == 1
    assert value(after, "filot_gpu_active_jobs") == 0.0
    assert grew("filot_worker_jobs_total", queue="ocr-gpu", outcome="ok") == 1
    assert grew("filot_worker_jobs_total", queue="default", outcome="ok") == 1
    # Nothing retried BULI2 and the GPU was not asked for: present, and zero growth.
    assert "filot_buli2_retry_count_total" in after and grew("filot_buli2_retry_count_total") == 0
    assert grew("filot_gpu_fallbacks_total") == 0
    # Each audited step is logged with the document's correlation id, scoring included.
    lines = [line for line in log_output.getvalue().splitlines() if "document_status_changed" in line]
    correlation_id = Document.objects.get(pk=document_id).correlation_id
    for status in ("processing", "ocr_completed", "ai_evaluated", outcome):
        assert any(f"to_status={status}" in line and correlation_id in line for line in lines), status
