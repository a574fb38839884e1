"""Rate limits: every limit of a request counted in one Redis round trip, still holding
(also under concurrent requests), failing open when Redis is down."""

import shutil
import subprocess
import threading

import pytest
import redis
from django.test import RequestFactory, override_settings

from filot.ratelimits import RateLimitExceeded, count_request
from tests.factories import document_row
from tests.stack import free_port, wait_for_port

pytestmark = pytest.mark.django_db


def cache_at(location: str) -> override_settings:
    return override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    )


@pytest.fixture
def private_redis():
    """The cache on a private redis-server, so its command counts are this test's alone."""
    port = free_port()
    server = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        url = f"redis://127.0.0.1:{port}/0"
        with cache_at(url):  # given back before the server stops (conftest clears the cache after)
            yield redis.Redis.from_url(url)
    finally:
        server.terminate()
        server.wait(timeout=10)


def commands(client: redis.Redis) -> dict[str, int]:
    return {
        name.removeprefix("cmdstat_"): stats["calls"] for name, stats in client.info("commandstats").items()
    }


def test_a_status_read_counts_both_its_limits_in_one_round_trip(alice_api, alice, private_redis, settings):
    settings.VERIFY_RATE_LIMIT = "100/h"
    document = document_row(alice)
    path = f"/api/v1/verification/status/{document.id}"
    assert alice_api.get(path).status_code == 200  # the script is loaded on first use
    before = commands(private_redis)
    for _ in range(5):
        assert alice_api.get(path).status_code == 200
    after = commands(private_redis)
    spent = {
        name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)
    }
    spent.pop("info")
    # One EVALSHA per request; the INCRs are the script's own, inside Redis.
    assert spent == {"evalsha": 5, "incr": 10}, spent
    keys = private_redis.keys("*")
    assert len(keys) == 2  # per user and per address
    assert all(private_redis.get(key) == b"6" for key in keys)
    assert all(3600 < private_redis.ttl(key) <= 3605 for key in keys)


def test_status_reads_are_limited_per_user_and_per_address(alice_api, bob_api, alice, bob, settings):
    settings.VERIFY_RATE_LIMIT = "3/h"
    path = f"/api/v1/verification/status/{document_row(alice).id}"
    assert [alice_api.get(path).status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = alice_api.get(path)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 3600
    # Bob is a new user, but his address (the test client's) is over its limit.
    assert bob_api.get(f"/api/v1/verification/status/{document_row(bob).id}").status_code == 429


def test_concurrent_requests_never_get_past_the_limit(private_redis):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")
    allowed, refused, start = [], [], threading.Barrier(40)

    def one() -> None:
        start.wait()
        try:
            count_request(request, group="race", limits=[("ip", "10/h")])
            allowed.append(1)
        except RateLimitExceeded:
            refused.append(1)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(allowed), len(refused)) == (10, 30)


def test_the_embedded_local_cache_limits_too(alice_api, alice, settings):
    settings.VERIFY_RATE_LIMIT = "2/h"
    path = f"/api/v1/verification/status/{document_row(alice).id}"
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        assert [alice_api.get(path).status_code for _ in range(3)] == [200, 200, 429]


def test_limits_fail_open_when_redis_is_down(alice_api, alice, settings, caplog):
    settings.VERIFY_RATE_LIMIT = "1/h"
    path = f"/api/v1/verification/status/{document_row(alice).id}"
    with cache_at(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        assert [alice_api.get(path).status_code for _ in range(3)] == [200, 200, 200]
    assert "ratelimit_unavailable" in caplog.text


def test_limits_hold_again_once_redis_is_back(alice_api, alice, settings):
    """The Redis client a process keeps for counting (filot.ratelimits._redis) outlives an
    outage: once the server answers, the same client counts again."""
    settings.VERIFY_RATE_LIMIT = "2/h"
    path = f"/api/v1/verification/status/{document_row(alice).id}"
    port = free_port()
    with cache_at(f"redis://127.0.0.1:{port}/0"):
        assert [alice_api.get(path).status_code for _ in range(3)] == [200, 200, 200]  # down: open
        server = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_port(port)
            assert [alice_api.get(path).status_code for _ in range(3)] == [200, 200, 429]
        finally:
            server.terminate()
            server.wait(timeout=10)
