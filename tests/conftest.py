"""Shared fixtures. The test environment itself (PostgreSQL, Redis) is set up by
tests/environment.py, a plugin loaded before Django reads its settings."""

import io
import logging

import pytest


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path):
    """Each test: its own media folder and data folder, an empty cache (rate limits)."""
    from django.core.cache import cache

    from filot.redis_client import breaker

    breaker.reset()  # a test that pointed a client at a dead Redis leaves it open
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    cache.clear()
    yield
    breaker.reset()
    cache.clear()


# --- personas --------------------------------------------------------------------
PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def make_user(db):
    from kyc.models import Profile, User

    def make(email: str, **extra: object) -> User:
        user = User.objects.create_user(email=email, password=PASSWORD, **extra)
        Profile.objects.get_or_create(user=user)
        return user

    return make


@pytest.fixture
def alice(make_user):
    """An applicant."""
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user):
    """Another applicant, for access tests."""
    return make_user("bob@example.com")


@pytest.fixture
def rita(make_user):
    """A reviewer."""
    from django.contrib.auth.models import Group

    user = make_user("rita@filot.example", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    return user


def client_for(user: object):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def api():
    """An anonymous API client."""
    return client_for(None)


@pytest.fixture
def alice_api(alice):
    return client_for(alice)


@pytest.fixture
def bob_api(bob):
    return client_for(bob)


@pytest.fixture(scope="session")
def ktp_jpeg() -> bytes:
    """A photo of a synthetic KTP from the project's own generator."""
    from cardgen.cards import render_card

    for index in range(50):
        card, jpeg = render_card(20261122, index)
        if card.doc_type == "KTP" and card.difficulty == "clean":
            return jpeg
    raise AssertionError("the generator made no clean KTP in 50 cards")


@pytest.fixture
def log_output():
    """The lines the configured root formatter renders, captured in memory."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


@pytest.fixture
def worker():
    """dramatiq worker threads consuming every queue of the real Redis broker, in this process."""
    import dramatiq

    broker = dramatiq.get_broker()
    broker.flush_all()
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()
    broker.flush_all()
