"""Pytest plugin (loaded with `-p tests.environment`): the suite's database and broker.

It must run before pytest-django loads the settings, which is why it is a plugin and
not a conftest. `make test` sets DATABASE_URL / REDIS_URL from TEST_DATABASE_URL /
TEST_REDIS_URL; a bare `python -m pytest` gets the same defaults here. When either
service is unreachable the run stops at once and says how to start it.
"""

import os
import socket
from urllib.parse import urlsplit

import pytest

os.environ.setdefault(
    "DATABASE_URL", os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
)
os.environ.setdefault("REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"))
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


def pytest_configure(config: pytest.Config) -> None:
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
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
