"""Per-address limits count the real client: X-Forwarded-For is believed only from the
configured proxies, never from a client talking to the web process directly."""

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.0/8"]
    settings.AUTH_RATE_LIMIT = "2/h"  # an hour-long window: no window edge mid-test


def register(api, n: int, **extra) -> int:
    body = {"email": f"user{n}@example.com", "password": PASSWORD}
    return api.post("/api/v1/auth/register", body, format="json", **extra).status_code


def test_a_direct_client_cannot_escape_its_limit_by_forging_x_forwarded_for(api, behind_one_proxy):
    answers = [
        register(api, n, REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(3)
    ]

    assert answers == [201, 201, 429]


def test_behind_the_proxy_each_client_is_counted_under_its_own_address(api, behind_one_proxy):
    answers = [
        register(api, n, REMOTE_ADDR="10.0.1.2", HTTP_X_FORWARDED_FOR=f"6.6.6.6, 198.51.100.{n}")
        for n in range(4)
    ]

    assert answers == [201, 201, 201, 201]
    # The client-written (leftmost) entry is never the key: one real client stays limited.
    same = [
        register(api, 10 + n, REMOTE_ADDR="10.0.1.2", HTTP_X_FORWARDED_FOR=f"{n}.1.1.1, 198.51.100.9")
        for n in range(3)
    ]
    assert same == [201, 201, 429]


def test_a_malformed_forwarded_address_falls_back_to_the_peer(api, behind_one_proxy):
    answers = [
        register(api, n, REMOTE_ADDR="10.0.1.3", HTTP_X_FORWARDED_FOR=f"not-an-address-{n}") for n in range(3)
    ]

    assert answers == [201, 201, 429]
