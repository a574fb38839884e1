"""Pytest plugin (loaded with `-p tests.environment`): the suite's database and broker.

It must run before pytest-django loads the settings, which is why it is a plugin and
not a conftest. `make test` sets DATABASE_URL / REDIS_URL from TEST_DATABASE_URL /
TEST_REDIS_URL; a bare `python -m pytest` gets the same defaults here. When either
service is unreachable the run stops at once and says how to start it.

Under pytest-xdist (`make test` runs `-n 2`) each worker is a process of its own:
pytest-django gives it its own test database (suffix `_gw0`, `_gw1`, ...), and this
plugin gives it its own Redis database, REDIS_URL's number plus the worker's (gw1 of
redis://.../9 uses 10), so one worker's flushes, queues and rate limits never touch
another's. tests/stack.py's free_port() gives each worker its own range of ports.
"""

import os
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest

os.environ.setdefault(
    "DATABASE_URL", os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
)
os.environ.setdefault("REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"))


def worker_number() -> int:
    """This pytest-xdist worker's number (gw3 -> 3); 0 without xdist and in its controller."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") else 0


def _worker_redis_url(url: str) -> str:
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + worker_number()}"))


# Set before Django reads its settings (this module is imported while pytest parses its
# options, and xdist names the worker in the environment before that).
os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"])
os.environ.pop("DJANGO_ENV", None)
# A test holds its transaction open while it waits on other things (a fake BULI2's
# retries, a subprocess): production's 60 s would end its database session mid-test.
os.environ.setdefault("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", "600000")

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


class EveryTestRan:
    """Fails a green run in which fewer tests reported than were collected.

    xdist's scope-based schedulers (--dist loadscope, loadfile, loadgroup) key tests by
    node id, and schemathesis gives all of tests/kyc/test_openapi.py's generated cases
    one: under them 24 of its 25 cases never ran and the run still passed. `make test`
    uses --dist worksteal (by index); this check makes any such loss a red run.
    """

    def __init__(self) -> None:
        self.collected: int | None = None
        self.reported = 0

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.collected = len(ids)  # the controller: what each worker collected (the same list)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)  # without xdist

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.reported += 1

    def lost(self) -> int:
        return 0 if self.collected is None else self.collected - self.reported

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.OK and self.lost() > 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.lost() > 0:
            terminalreporter.write_line(
                f"{self.lost()} of the {self.collected} collected tests never reported a result", red=True
            )


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # not in an xdist worker: it runs only its share
        config.pluginmanager.register(EveryTestRan(), "filot-every-test-ran")
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        pytest.exit(
            "The tests run on PostgreSQL only: set TEST_DATABASE_URL to a postgres:// URL.", returncode=2
        )
    for name, url, port in (
        ("PostgreSQL", os.environ["DATABASE_URL"], 5432),
        ("Redis", os.environ["REDIS_URL"], 6379),
    ):
        if not _reachable(url, port):
            pytest.exit(
                f"{name} is not reachable at {urlsplit(url).netloc}. Start it with:\n  {HOW_TO_START[name]}",
                returncode=2,
            )
    import redis

    # The tests own this Redis database: start from an empty broker.
    try:
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    except redis.ResponseError as error:  # "DB index is out of range": too many workers
        pytest.exit(
            f"Redis refuses database {urlsplit(os.environ['REDIS_URL']).path[1:]} ({error}): use fewer "
            "xdist workers (TEST_WORKERS) or a lower TEST_REDIS_URL database number.",
            returncode=2,
        )
