"""A local stack like production's, on 127.0.0.1: gunicorn and one `rundramatiq` per queue.

It runs against the suite's PostgreSQL test database and Redis database, with its own
media folder and one Prometheus multiprocess folder per host (web, OCR worker, CPU
worker), as on ECS. Every process is started in its own session and stopped, with
its children, when the tests using it are done.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICE_KEY = "stack-K7mN2pQ9rS4tU8vW1xY5zA3bC6dE0fG"


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


@dataclass
class Stack:
    env: dict[str, str]
    web_url: str
    gpu_worker_url: str
    cpu_worker_url: str
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str, *command: str, env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        pending = [f"{self.web_url}/health", f"{self.gpu_worker_url}/health", f"{self.cpu_worker_url}/health"]
        while pending and time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args} exited with {process.returncode}\n{self.tail()}")
            pending = [url for url in pending if get(url)[0] != 200]
            time.sleep(0.5)
        if pending:
            raise RuntimeError(f"not up after {timeout}s: {pending}\n{self.tail()}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            # The session's other members (dramatiq's worker processes) go with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture(scope="module")
def local_stack(django_db_setup, tmp_path_factory) -> Iterator[Stack]:
    import redis
    from django.conf import settings
    from django.db import connection

    base = tmp_path_factory.mktemp("stack")
    database = connection.settings_dict  # the test database pytest-django made
    database_url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    # The suite's own Redis database: the stack starts from empty queues.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    ports = {name: free_port() for name in ("web", "gpu", "cpu")}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CF_R2_", "BULI2_", "PROMETHEUS_", "WORKER_", "OCR_"))
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=settings.REDIS_URL,
        FILOT_DATA_DIR=str(base / "data"),
        DJANGO_DEBUG="false",
        SERVICE_INTERNAL_KEY=SERVICE_KEY,
        # As on a GPU host whose CUDA is missing: asked for, then the CPU fallback.
        OCR_GPU_ENABLED="true",
        OCR_GPU_AUTOFALLBACK="true",
        LOG_JSON="true",
    )
    logs = base / "logs"
    logs.mkdir()
    stack = Stack(
        env=env,
        web_url=f"http://127.0.0.1:{ports['web']}",
        gpu_worker_url=f"http://127.0.0.1:{ports['gpu']}",
        cpu_worker_url=f"http://127.0.0.1:{ports['cpu']}",
        logs=logs,
    )
    folders = {name: base / f"metrics-{name}" for name in ports}
    for folder in folders.values():
        folder.mkdir()
    python = sys.executable
    worker = ["manage.py", "rundramatiq", "--worker-shutdown-timeout", "5000", "--processes", "1"]
    try:
        stack.start(
            "web",
            python, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py",
            "--bind", f"127.0.0.1:{ports['web']}", "--workers", "2", "filot.wsgi:application",
            env={"PROMETHEUS_MULTIPROC_DIR": str(folders["web"])},
        )  # fmt: skip
        stack.start(
            "ocr-gpu-worker",
            python, *worker, "--threads", "1", "--queues", "ocr-gpu",
            env={"PROMETHEUS_MULTIPROC_DIR": str(folders["gpu"]), "WORKER_HTTP_PORT": str(ports["gpu"])},
        )  # fmt: skip
        stack.start(
            "cpu-worker",
            python, *worker, "--threads", "2", "--queues", "default",
            env={"PROMETHEUS_MULTIPROC_DIR": str(folders["cpu"]), "WORKER_HTTP_PORT": str(ports["cpu"])},
        )  # fmt: skip
        stack.wait_until_up()
        yield stack
    finally:
        stack.stop()
        # The stack wrote to the test database through its own connections: empty it again.
        subprocess.run(
            [python, "manage.py", "flush", "--noinput"], cwd=ROOT, env=env, check=True, timeout=120
        )
