"""Accounts and JWT through the HTTP API."""

from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from kyc.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_new_user_registers_and_gets_a_token_pair(api):
    response = api.post(
        "/api/v1/auth/register", {"email": "Carol@Example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["email"] == "carol@example.com"
    assert User.objects.filter(email="carol@example.com").exists()
    tokens = api.post(
        "/api/v1/auth/token", {"email": "carol@example.com", "password": PASSWORD}, format="json"
    )
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access", "refresh"}


def test_register_refuses_a_weak_password_and_creates_nothing(api):
    response = api.post(
        "/api/v1/auth/register", {"email": "dan@example.com", "password": "12345678"}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()["error"]["details"]
    assert not User.objects.filter(email="dan@example.com").exists()


def test_register_answers_a_taken_email_as_it_answers_a_new_one_and_creates_nothing(api, alice):
    taken = api.post(
        "/api/v1/auth/register", {"email": "ALICE@example.com", "password": PASSWORD}, format="json"
    )
    fresh = api.post(
        "/api/v1/auth/register", {"email": "Zed@example.com", "password": PASSWORD}, format="json"
    )
    assert (taken.status_code, fresh.status_code) == (201, 201)
    assert taken.json().keys() == fresh.json().keys() == {"email"}
    assert taken.json()["email"] == "alice@example.com"
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert User.objects.get(email="alice@example.com").check_password(PASSWORD)  # untouched


def test_register_refuses_unknown_fields(api):
    extra = api.post(
        "/api/v1/auth/register",
        {"email": "eve@example.com", "password": PASSWORD, "is_staff": True},
        format="json",
    )
    assert extra.status_code == 400
    assert extra.json()["error"]["details"] == {"is_staff": ["Unknown field."]}
    assert User.objects.count() == 0


def test_a_wrong_password_is_401(api, alice):
    response = api.post(
        "/api/v1/auth/token", {"email": alice.email, "password": "wrong-password"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"no_active_account", "authentication_failed"}


def test_endpoints_need_a_token(api):
    for path in ("/api/v1/profile", "/api/v1/documents"):
        response = api.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_an_expired_access_token_is_refused(api, alice):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.get("/api/v1/profile")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_access_tokens_live_fifteen_minutes(api, alice):
    tokens = api.post(
        "/api/v1/auth/token", {"email": alice.email, "password": PASSWORD}, format="json"
    ).json()
    access = AccessToken(tokens["access"])
    assert access["exp"] - access["iat"] == 15 * 60


def test_refresh_rotates_and_a_blacklisted_refresh_token_is_refused(api, alice):
    tokens = api.post(
        "/api/v1/auth/token", {"email": alice.email, "password": PASSWORD}, format="json"
    ).json()
    rotated = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != tokens["refresh"]
    # The old refresh token was blacklisted by the rotation.
    reused = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401


def test_logout_blacklists_the_refresh_token(api, alice):
    tokens = api.post(
        "/api/v1/auth/token", {"email": alice.email, "password": PASSWORD}, format="json"
    ).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    api.credentials()
    refused = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


def test_logout_refuses_someone_elses_refresh_token(api, alice, bob):
    bobs = api.post("/api/v1/auth/token", {"email": bob.email, "password": PASSWORD}, format="json").json()
    alices = api.post(
        "/api/v1/auth/token", {"email": alice.email, "password": PASSWORD}, format="json"
    ).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {alices['access']}")
    assert api.post("/api/v1/auth/logout", {"refresh": bobs["refresh"]}, format="json").status_code == 400
    api.credentials()
    assert (
        api.post("/api/v1/auth/token/refresh", {"refresh": bobs["refresh"]}, format="json").status_code == 200
    )


def test_register_is_rate_limited_per_address(api, settings):
    settings.AUTH_RATE_LIMIT = "2/h"  # an hour-long window: no window edge mid-test
    for n in range(2):
        api.post("/api/v1/auth/register", {"email": f"u{n}@example.com", "password": PASSWORD}, format="json")
    response = api.post(
        "/api/v1/auth/register", {"email": "u9@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert not User.objects.filter(email="u9@example.com").exists()
