"""The Redis breaker is in the connection: a frozen Redis (a socket that accepts and
never answers) costs one socket timeout, then every call of the process fails at once,
whichever client makes it; after REDIS_BREAKER_SECONDS one trial call may try."""

import socket
import threading
import time

import pytest
import redis

from filot.redis_client import FailFastConnectionPool, RedisUnavailable, breaker


@pytest.fixture
def frozen_redis():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # the kernel completes connections; nothing ever answers
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def client(url: str) -> redis.Redis:
    pool = FailFastConnectionPool.from_url(url, socket_connect_timeout=0.3, socket_timeout=0.3)
    return redis.Redis(connection_pool=pool)


def timed_failure(call) -> tuple[type, float]:
    started = time.monotonic()
    with pytest.raises(redis.RedisError) as raised:
        call()
    return raised.type, time.monotonic() - started


def test_one_timeout_opens_the_breaker_for_every_client_then_one_trial_may_try(settings, frozen_redis):
    settings.REDIS_BREAKER_SECONDS = 1
    error, waited = timed_failure(client(frozen_redis).ping)
    assert error is redis.TimeoutError and waited >= 0.25
    # Another client, another pool: refused at once.
    error, waited = timed_failure(lambda: client(frozen_redis).set("k", "v"))
    assert error is RedisUnavailable and waited < 0.05

    time.sleep(1.05)
    results: dict[str, tuple[type, float]] = {}
    trial = threading.Thread(target=lambda: results.update(trial=timed_failure(client(frozen_redis).ping)))
    trial.start()
    time.sleep(0.1)
    results["other"] = timed_failure(client(frozen_redis).ping)  # while the trial waits
    trial.join()
    assert results["trial"][0] is redis.TimeoutError and results["trial"][1] >= 0.25
    assert results["other"][0] is RedisUnavailable and results["other"][1] < 0.05
    assert breaker.open  # the trial failed: open again


def test_a_redis_that_answers_closes_the_breaker(settings, frozen_redis):
    settings.REDIS_BREAKER_SECONDS = 1
    timed_failure(client(frozen_redis).ping)
    assert breaker.open
    time.sleep(1.05)
    assert client(settings.REDIS_URL).ping() is True  # the trial, answered
    assert not breaker.open


def test_an_error_reply_is_an_answer_the_caller_sees_and_it_closes_the_breaker(settings, frozen_redis):
    """READONLY after a failover, OOM, an unknown command: Redis answered. The caller
    gets the real error, not 'Redis failed moments ago', and the breaker closes."""
    settings.REDIS_BREAKER_SECONDS = 1
    pooled = client(settings.REDIS_URL)
    assert pooled.ping() is True  # its connection is made (and kept in its pool) now
    timed_failure(client(frozen_redis).ping)
    assert breaker.open
    time.sleep(1.05)
    with pytest.raises(redis.ResponseError) as raised:  # the trial, on the kept connection
        pooled.execute_command("FILOT-NO-SUCH-COMMAND")
    assert raised.type is redis.ResponseError
    assert not breaker.open
    assert pooled.ping() is True
