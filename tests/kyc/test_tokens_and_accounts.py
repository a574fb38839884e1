"""Tokens and accounts under attack: single-use refresh under a race, tokens that end
with a password change or deactivation, case-insensitive log-in, a lock-out that an
attacker cannot turn against the real user."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from kyc.models import User
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-new-and-longer-passphrase-77"


def log_in(api, email: str, password: str = PASSWORD, **extra) -> object:
    return api.post("/api/v1/auth/token", {"email": email, "password": password}, format="json", **extra)


def profile_status(api, access: str) -> int:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    status = api.get("/api/v1/profile").status_code
    api.credentials()
    return status


def refresh_status(api, refresh: str) -> int:
    return api.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json").status_code


@pytest.mark.django_db(transaction=True)
def test_of_ten_parallel_refreshes_of_one_token_exactly_one_succeeds(api, alice, settings):
    settings.AUTH_RATE_LIMIT = "100/h"
    tokens = log_in(api, alice.email).json()
    start = threading.Barrier(10)
    answers: list = []

    def refresh() -> None:
        # Each thread: its own client and its own PostgreSQL connection, all at once.
        try:
            start.wait()
            answers.append(
                APIClient().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answer.status_code for answer in answers) == [200] + [401] * 9
    winner = next(answer.json() for answer in answers if answer.status_code == 200)
    refused = [answer.json()["error"]["code"] for answer in answers if answer.status_code == 401]
    assert set(refused) == {"token_not_valid"}
    assert profile_status(api, winner["access"]) == 200
    assert refresh_status(api, winner["refresh"]) == 200  # the one new token works, once
    assert refresh_status(api, tokens["refresh"]) == 401


@pytest.mark.django_db
def test_a_password_change_ends_every_token_issued_before_it(api, alice):
    old = log_in(api, "alice@example.com").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")

    changed = api.post(
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert changed.status_code == 200, changed.content
    api.credentials()
    assert profile_status(api, old["access"]) == 401
    assert refresh_status(api, old["refresh"]) == 401
    assert profile_status(api, changed.json()["access"]) == 200
    assert log_in(api, alice.email).status_code == 401
    assert log_in(api, alice.email, NEW_PASSWORD).status_code == 200
    assert changed["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_password_change_needs_the_current_password_and_a_strong_new_one(alice_api, alice):
    wrong = alice_api.post(
        "/api/v1/auth/password",
        {"current_password": "not-it-at-all", "new_password": NEW_PASSWORD},
        format="json",
    )
    weak = alice_api.post(
        "/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "12345678"}, format="json"
    )

    assert wrong.status_code == 400 and "current_password" in wrong.json()["error"]["details"]
    assert weak.status_code == 400 and "new_password" in weak.json()["error"]["details"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert alice_api.get("/api/v1/profile").status_code == 200  # nothing changed, the token still works


@pytest.mark.django_db
def test_a_deactivated_accounts_tokens_are_refused(api, alice):
    tokens = log_in(api, alice.email).json()
    User.objects.filter(pk=alice.pk).update(is_active=False)

    assert profile_status(api, tokens["access"]) == 401
    assert refresh_status(api, tokens["refresh"]) == 401


@pytest.mark.django_db
def test_a_deleted_accounts_refresh_token_is_a_401_not_a_500(api, make_user):
    carol = make_user("carol@example.com")
    tokens = log_in(api, carol.email).json()
    carol.delete()

    response = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


@pytest.mark.django_db
def test_log_in_accepts_the_email_in_any_case(api, alice):
    for email in ("ALICE@EXAMPLE.COM", "Alice@Example.com", " alice@example.com "):
        assert log_in(api, email).status_code == 200, email


@pytest.mark.django_db
def test_an_attacker_guessing_from_elsewhere_cannot_lock_the_real_user_out(api, alice, settings):
    settings.AUTH_RATE_LIMIT = "100/h"
    settings.AUTH_BACKOFF_BASE_SECONDS = 60  # no wait runs out mid-test on a slow machine
    answers = [
        log_in(api, alice.email, "wrong-password", REMOTE_ADDR="203.0.113.66").status_code for _ in range(12)
    ]

    assert answers[:5] == [401] * 5  # free attempts, then the wait doubles from that address
    assert 429 in answers[5:]
    assert log_in(api, alice.email, REMOTE_ADDR="198.51.100.7").status_code == 200  # her own address
    assert log_in(api, alice.email, REMOTE_ADDR="203.0.113.66").status_code == 429  # still waiting there


@pytest.mark.django_db
def test_the_backoff_answers_429_with_a_retry_after(api, alice, settings):
    settings.AUTH_RATE_LIMIT = "100/h"
    settings.AUTH_BACKOFF_BASE_SECONDS = 60
    for _ in range(settings.AUTH_FAILURES_BEFORE_BACKOFF + 1):
        log_in(api, alice.email, "wrong-password", REMOTE_ADDR="203.0.113.9")

    limited = log_in(api, alice.email, "wrong-password", REMOTE_ADDR="203.0.113.9")

    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
