"""`manage.py api_benchmark` in a tiny run, and its ceiling endpoint existing only for it."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.conftest import client_for
from tests.filot.test_settings import VALID_PRODUCTION, manage

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(
    r"^(ceiling|status read|document detail|document list|upload) +(\d+) +([\d.]+) +([\d.]+|n/a) +([\d.]+) "
    r"+([\d.]+) +([\d.]+) +(\d+)  [\d /]+$",
    re.MULTILINE,
)


def test_the_benchmark_prints_every_scenario_beside_the_ceiling_and_cleans_up():
    database_url = os.environ["DATABASE_URL"]
    result = subprocess.run(
        [sys.executable, "manage.py", "api_benchmark", "--rounds", "1", "--duration", "2",
         "--connections", "4", "--upload-connections", "2", "--readers", "2", "--cards", "1",
         "--cpu-requests", "2"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {match.group(1): match.groups()[1:] for match in ROW.finditer(result.stdout)}
    assert list(rows) == ["ceiling", "status read", "document detail", "document list", "upload"], (
        result.stdout
    )
    # n/a only when the ceiling served nothing at all (a stalled, shared machine).
    assert rows["ceiling"][2] in ("1.00", "n/a")
    for name, (conns, _rate, ratio, p50, p95, p99, errors) in rows.items():
        assert (ratio == "n/a") == (rows["ceiling"][2] == "n/a"), name
        assert float(p50) <= float(p95) <= float(p99), name
        assert errors == "0", result.stdout
        assert conns == ("2" if name == "upload" else "4")
    cpu = re.search(
        r"^CPU ms per request, in-process, 1 client \(x ceiling\), lowest of 3 runs of 2: ceiling ([\d.]+) "
        r"\(1.00\), status [\d.]+ \([\d.]+\), detail [\d.]+ \([\d.]+\), list [\d.]+ \([\d.]+\); "
        r"upload ([\d.]+) to the response \+ [\d.]+ after it$",
        result.stdout,
        re.MULTILINE,
    )
    assert cpu is not None and float(cpu.group(1)) > 0 and float(cpu.group(2)) > 0, result.stdout
    database = re.search(r"database (\S+) dropped", result.stdout).group(1)
    with psycopg.connect(re.sub(r"/[^/]*$", "/postgres", database_url)) as connection:
        left = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchall()
    assert left == []
    work_dir = Path(re.search(r"gunicorn in (\S+) \.\.\.", result.stdout).group(1))
    assert not work_dir.exists()
    ports = [int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", result.stdout)]
    assert len(ports) == 2  # gunicorn and redis-server, both stopped
    for port in ports:
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass


@pytest.mark.django_db
def test_the_ceiling_endpoint_does_not_exist_outside_the_benchmark(alice):
    assert settings.ROOT_URLCONF == "filot.urls"
    response = client_for(alice).get("/api/v1/benchmark/ceiling")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_production_refuses_the_benchmark_flag():
    result = manage("check", env={**VALID_PRODUCTION, "FILOT_API_BENCHMARK": "true"})
    assert result.returncode != 0
    assert "FILOT_API_BENCHMARK must not be set in production" in result.stderr
