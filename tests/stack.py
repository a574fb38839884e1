"""A local FiLot stack in subprocesses, for tests that kill and restart its parts:
a private redis-server, gunicorn serving the API, `manage.py rundramatiq` workers.

It shares the test database (pytest-django's, so tests using it need
`django_db(transaction=True)`), and gets its own Redis and data folder.
"""

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests
from django.conf import settings

from tests.environment import worker_number

ROOT = Path(__file__).resolve().parent.parent


# Ports for the servers the tests start: below the kernel's ephemeral range (32768 and
# up), so no outgoing connection takes one between free_port() and the server's bind,
# and a range of its own for each pytest-xdist worker, so two workers never pick the
# same one. Within its range a worker takes them in turn, skipping those in use.
PORTS_PER_WORKER = 1000
FIRST_PORT = 20000 + PORTS_PER_WORKER * (worker_number() % 12)
_next_port = FIRST_PORT + random.randrange(PORTS_PER_WORKER)  # two runs at once rarely start alike


def free_port() -> int:
    global _next_port
    for _ in range(PORTS_PER_WORKER):
        port, _next_port = _next_port, FIRST_PORT + (_next_port + 1 - FIRST_PORT) % PORTS_PER_WORKER
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {FIRST_PORT}-{FIRST_PORT + PORTS_PER_WORKER - 1}")


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class LocalStack:
    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.redis_port = free_port()
        self.web_port = free_port()
        self.logs = data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "FILOT_DATA_DIR": str(data_dir),
            "OMP_THREAD_LIMIT": "1",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.redis: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    # --- processes ----------------------------------------------------------------
    def _start(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_redis(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.redis = self._start(
            "redis",
            [
                server,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        wait_for_port(self.redis_port)

    def stop_redis(self) -> None:
        self._stop(self.redis)
        self.redis = None

    def start_web(self, threads: int = 4, **env: str) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.web = self._start(
            "web",
            [gunicorn, "filot.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}", "--workers", "1",
             "--threads", str(threads), "--timeout", "60"],
            **env,
        )  # fmt: skip
        wait_for_port(self.web_port, timeout=60)

    def start_worker(
        self, *queues: str, processes: int = 1, threads: int = 2, **env: str
    ) -> subprocess.Popen:
        size = ["--processes", str(processes), "--threads", str(threads)]
        args = [sys.executable, "manage.py", "rundramatiq", *size]
        if queues:
            args += ["--queues", *queues]
        worker = self._start(f"worker-{len(self.workers)}", args, **env)
        self.workers.append(worker)
        return worker

    def redis_client(self) -> redis.Redis:
        return redis.Redis(port=self.redis_port, socket_timeout=5)

    def signal_redis(self, signum: int) -> None:
        """SIGSTOP freezes it (connections still accepted, nothing answered); SIGCONT thaws it."""
        assert self.redis is not None
        os.kill(self.redis.pid, signum)

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process and everything it started: a crash, no clean shutdown."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def manage(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    def reap(self) -> dict:
        """One reaper pass in a process of its own: its report, and how long the pass took
        (the pass alone, not the process's start)."""
        code = (
            "import json, time; from kyc.services import reap_stuck_documents as reap; "
            "started = time.monotonic(); report = reap().as_dict(); "
            "print(json.dumps({**report, 'seconds': time.monotonic() - started}))"
        )
        return json.loads(self.manage("shell", "-c", code).stdout.strip().splitlines()[-1])

    def _stop(self, process: subprocess.Popen | None) -> None:
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill(process)

    def stop(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            os.kill(self.redis.pid, signal.SIGCONT)  # a test that froze it may have failed
        for worker in self.workers:
            self._stop(worker)
        self._stop(self.web)
        self._stop(self.redis)

    # --- the API --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def applicant(self, email: str, password: str = "correct-horse-battery-42") -> requests.Session:
        session = requests.Session()
        response = session.post(
            f"{self.url}/api/v1/auth/register", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.text
        response = session.post(f"{self.url}/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        session.headers["Authorization"] = f"Bearer {response.json()['access']}"
        return session

    def upload(self, session: requests.Session, jpeg: bytes, doc_type: str = "KTP") -> str:
        response = session.post(
            f"{self.url}/api/v1/documents",
            data={"doc_type": doc_type, "consent": "true"},
            files={"file": ("card.jpg", jpeg, "image/jpeg")},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.logs.glob("*.log")))


def children(pid: int) -> list[int]:
    """The pids of a process's children (Linux)."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in listed.read_text().split()] if listed.exists() else []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_until(condition, timeout: float, interval: float = 0.2) -> float:
    """Seconds until `condition()` held; AssertionError after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(interval)
    return time.monotonic() - started


class PrivatePostgres:
    """A PostgreSQL of the test's own (initdb into a temporary folder), to stop at will.

    The server refuses to run as root, so it runs as the `postgres` system user then,
    in a folder of its own under the system's temporary folder (pytest's are private).
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="filot-postgres-"))
        self.port = free_port()
        self.bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
        self.data = self.folder / "data"

    def _run(self, program: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        command = [*prefix, str(self.bin / program), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "filot")

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", log, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/filot"
