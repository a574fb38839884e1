"""The smoke script and the metrics, against a local stack like production's (tests/deploy/conftest.py)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT, SERVICE_KEY, get

# django_db: so the run sets up the test database the stack uses (these tests write nothing).
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def series(text: str, name: str) -> dict[str, float]:
    """Every sample of `name` in a Prometheus text scrape: labels (sorted, as text) -> value.

    Merged multiprocess metrics list their labels in another order than live ones."""
    found = {}
    for match in re.finditer(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE):
        labels = sorted(re.findall(r'\w+="[^"]*"', match.group(1) or ""))
        found["{" + ",".join(labels) + "}" if labels else ""] = float(match.group(2))
    return found


@pytest.fixture(scope="module")
def smoke(local_stack) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "deploy/scripts/smoke/run_e2e_smoke.sh", local_stack.web_url],
        cwd=ROOT,
        env={
            **local_stack.env,
            "PYTHON": sys.executable,
            "SMOKE_REDIS_URL": local_stack.env["REDIS_URL"],
            "SMOKE_TIMEOUT": "150",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_smoke_script_passes_every_step_against_the_local_stack(smoke, local_stack):
    report = f"{smoke.stdout}\n{smoke.stderr}\n{local_stack.tail()}"
    assert smoke.returncode == 0, report
    for step in ("health", "register", "login", "profile", "upload", "decision", "results"):
        assert re.search(rf"^PASS {step}\b", smoke.stdout, re.MULTILINE), report
    assert smoke.stdout.rstrip().endswith("SMOKE PASS")


def test_the_smoke_script_fails_loudly_when_the_stack_is_down(local_stack):
    result = subprocess.run(
        ["bash", "deploy/scripts/smoke/run_e2e_smoke.sh", "http://127.0.0.1:9"],
        cwd=ROOT,
        env=local_stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert re.search(r"^FAIL health\b", result.stdout, re.MULTILINE)
    assert result.stdout.rstrip().endswith("SMOKE FAIL")


def test_the_ocr_worker_reports_its_health_from_inside_the_worker(local_stack):
    status, body = get(f"{local_stack.gpu_worker_url}/health")
    assert status == 200, body
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["queues"] == ["ocr-gpu"]
    assert health["checks"]["broker"]["ok"] is True
    engine = health["checks"]["ocr_engine"]
    # This machine has no CUDA: the GPU was asked for and the CPU fallback is in use.
    assert engine["providers"] == ["CPUExecutionProvider"]
    assert engine["gpu_requested"] is True
    assert engine["cpu_fallback"] is True
    assert health["jobs_in_flight"] == 0


def test_the_cpu_worker_health_has_no_ocr_check(local_stack):
    status, body = get(f"{local_stack.cpu_worker_url}/health")
    assert status == 200, body
    health = json.loads(body)
    assert health["queues"] == ["default"]
    assert set(health["checks"]) == {"broker", "process_group"}


def test_worker_metrics_need_the_service_key(local_stack):
    assert get(f"{local_stack.gpu_worker_url}/metrics")[0] == 401
    status, body = get(f"{local_stack.gpu_worker_url}/metrics", token="wrong-key-wrong-key-wrong-key-0000")
    assert status == 403
    assert json.loads(body)["error"]["code"] == "permission_denied"
    assert get(f"{local_stack.gpu_worker_url}/nothing-here")[0] == 404


def test_metrics_show_the_contract_names_with_real_values_after_a_document_was_decided(smoke, local_stack):
    assert smoke.returncode == 0, smoke.stdout
    web = get(f"{local_stack.web_url}/metrics", token=SERVICE_KEY)
    gpu = get(f"{local_stack.gpu_worker_url}/metrics", token=SERVICE_KEY)
    cpu = get(f"{local_stack.cpu_worker_url}/metrics", token=SERVICE_KEY)
    assert web[0] == gpu[0] == cpu[0] == 200
    web, gpu, cpu = (text.decode() for _, text in (web, gpu, cpu))

    # The web: shared state read at scrape time.
    documents = series(web, "filot_documents")
    outcomes = ("auto_approved", "auto_rejected", "needs_review")
    decided = sum(documents.get(f'{{status="{outcome}"}}', 0) for outcome in outcomes)
    assert decided == 1, documents
    assert series(web, "filot_queue_length") == {'{queue="ocr-gpu"}': 0.0, '{queue="default"}': 0.0}

    # The OCR worker: the job it ran, merged across its processes.
    assert series(gpu, "filot_gpu_processing_time_ms_count")[""] >= 1
    assert series(gpu, "filot_gpu_active_jobs") == {"": 0.0}
    assert series(gpu, "filot_gpu_fallbacks_total")[""] >= 1
    assert series(gpu, "filot_worker_jobs_total")['{outcome="ok",queue="ocr-gpu"}'] >= 1

    # The CPU worker: the decision and the time from upload to it.
    assert sum(series(cpu, "filot_decisions_total").values()) >= 1
    assert series(cpu, "filot_verification_latency_ms_count")[""] >= 1
    assert "filot_buli2_retry_count_total" in cpu


def test_the_web_master_has_the_application_loaded_so_a_restarted_worker_serves_at_once(local_stack):
    """deploy/gunicorn.conf.py preloads: the master imported Django, the views and the
    crypto the API decrypts with, and its workers are forked from it. Without it, each
    worker restarted after max_requests imported all of that itself (~1.5 s of CPU)."""
    master = local_stack.processes[0]  # "web": gunicorn's master
    loaded = Path(f"/proc/{master.pid}/maps").read_text()
    assert "cryptography" in loaded and "_rust" in loaded, "the master did not import the application"
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    assert len(children) == 2  # the two workers, forked from the loaded master
    for child in children:
        assert "cryptography" in Path(f"/proc/{child}/maps").read_text()
    status, _ = get(f"{local_stack.web_url}/health")
    assert status == 200
