"""`make run`'s embedded mode: no DATABASE_URL, no REDIS_URL, and the server is ready."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    return {**env, "FILOT_DATA_DIR": str(data_dir)}


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def embedded_server(tmp_path):
    env = embedded_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    reviewer = subprocess.run(
        [*manage, "create_demo_reviewer"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    port = free_port()
    server = subprocess.Popen(
        [*manage, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "serve.log").open("wb"),  # a file: a full pipe would block the server
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    yield base, reviewer.stdout, tmp_path
    server.terminate()
    server.wait(timeout=20)


def test_the_embedded_server_is_ready_on_sqlite_with_an_in_process_broker(embedded_server):
    base, _, data_dir = embedded_server
    status, body = get_json(f"{base}/health/ready")
    assert status == 200, body
    assert body["checks"]["database"]["vendor"] == "sqlite"
    assert body["checks"]["redis"]["mode"].startswith("embedded")
    assert (data_dir / "filot.sqlite3").is_file()


def test_the_demo_reviewer_credentials_are_printed_and_stable(embedded_server):
    _, printed, data_dir = embedded_server
    password = (data_dir / "demo-reviewer-password").read_text().strip()
    assert f"reviewer@filot.local / {password}" in printed
    assert oct((data_dir / "demo-reviewer-password").stat().st_mode & 0o777) == "0o600"


def test_an_uploaded_card_reaches_a_decision_in_process(embedded_server):
    """`make run`: the same actors run inside the server, on the stub broker."""
    import requests

    from cardgen.cards import render_card

    base, _, _ = embedded_server
    card, jpeg = next(
        (card, jpeg)
        for card, jpeg in (render_card(99, index) for index in range(40))
        if card.doc_type == "KTP" and card.difficulty == "clean" and not card.expected_checks
    )
    session = requests.Session()
    credentials = {"email": "demo@example.com", "password": "correct-horse-battery-42"}
    assert session.post(f"{base}/api/v1/auth/register", json=credentials).status_code == 201
    access = session.post(f"{base}/api/v1/auth/token", json=credentials).json()["access"]
    session.headers["Authorization"] = f"Bearer {access}"
    profile = {
        "full_name": card.fields["name"],
        "date_of_birth": card.fields["birth_date"],
        "nik": card.fields["nik"],
    }
    assert session.put(f"{base}/api/v1/profile", json=profile).status_code == 200
    uploaded = session.post(
        f"{base}/api/v1/documents",
        data={"doc_type": "KTP", "consent": "true"},
        files={"file": ("card.jpg", jpeg, "image/jpeg")},
    )
    assert uploaded.status_code == 201, uploaded.text

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = session.get(f"{base}/api/v1/verification/status/{uploaded.json()['id']}").json()
        if status["decision"]:
            break
        time.sleep(0.3)
    assert status["decision"] == "auto_approved", status
    assert [step["to_status"] for step in status["timeline"]][-1] == "auto_approved"
