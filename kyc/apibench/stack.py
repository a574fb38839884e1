"""The benchmark's own stack: a database created and dropped, a private redis-server,
gunicorn with the shipped config. Every process it starts is stopped by `stop()`."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import cast

import psycopg
from django.conf import settings
from django.core.management.base import CommandError

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            program = cast(list[str], process.args)[0]  # BenchStack._start's argument list
            raise CommandError(f"{program} exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise CommandError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class BenchStack:
    def __init__(self, work_dir: Path) -> None:
        db = settings.DATABASES["default"]
        if "postgresql" not in db["ENGINE"]:
            raise CommandError("api_benchmark needs PostgreSQL: set DATABASE_URL (see .env.example).")
        if not shutil.which("wrk") or not shutil.which("redis-server"):
            raise CommandError("api_benchmark needs wrk and redis-server: run `make load-generator`.")
        self.work_dir = work_dir
        self.db = db
        # A random suffix: two runs never share (or drop) each other's database.
        self.database = f"{db['NAME'][:40]}_apibench_{uuid.uuid4().hex[:6]}"
        self.redis_port = free_port()
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": self._url(self.database),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "FILOT_DATA_DIR": str(work_dir / "data"),
            "FILOT_API_BENCHMARK": "true",
            "DJANGO_DEBUG": "false",
            "PROMETHEUS_MULTIPROC_DIR": str(work_dir / "metrics"),
            # Counted like any request, but never reached.
            "UPLOAD_RATE_LIMIT": "100000000/h",
            "VERIFY_RATE_LIMIT": "100000000/m",
            "PYTHONUNBUFFERED": "1",
        }
        (work_dir / "metrics").mkdir(parents=True, exist_ok=True)

    def _url(self, name: str) -> str:
        password = f":{self.db['PASSWORD']}" if self.db.get("PASSWORD") else ""
        host, port = self.db.get("HOST") or "127.0.0.1", self.db.get("PORT") or 5432
        return f"postgres://{self.db['USER']}{password}@{host}:{port}/{name}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self._url("postgres"), autocommit=True) as connection:
            connection.execute(sql)

    # --- parts ------------------------------------------------------------------------
    def create_database(self) -> None:
        self._admin(f'CREATE DATABASE "{self.database}"')

    def _start(self, name: str, args: list[str], cwd: Path = ROOT) -> subprocess.Popen:
        log = open(self.work_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            args, cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def start_redis(self) -> None:
        redis = self._start(
            "redis",
            [shutil.which("redis-server") or "redis-server", "--port", str(self.redis_port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )  # fmt: skip
        wait_for_port(self.redis_port, redis, timeout=20)

    def manage(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise CommandError(f"manage.py {args[0]} failed:\n{result.stdout}{result.stderr}")

    def run_script(self, root: Path, script: Path, *args: str) -> None:
        """A Python script from this checkout, run in `root` (its code) with the stack's environment."""
        result = subprocess.run(
            [sys.executable, str(script), *args], cwd=root, env=self.env, capture_output=True, text=True
        )
        if result.returncode != 0:
            output = result.stdout[-2000:] + result.stderr[-4000:]
            raise CommandError(f"{script.name} failed in {root}:\n{output}")

    def start_web(self, root: Path = ROOT, name: str = "web") -> int:
        """gunicorn with `root`'s shipped config and code (another checkout of FiLot, to
        compare commits in one run, shares this stack's database, Redis and data)."""
        port = free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        web = self._start(
            name,
            [
                gunicorn,
                "-c",
                "deploy/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "filot.wsgi:application",
            ],
            cwd=root,
        )
        wait_for_port(port, web, timeout=90)
        return port

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.processes.clear()
        with contextlib.suppress(psycopg.Error):
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
