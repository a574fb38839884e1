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
        stdout=subprocess.PIPE,
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
