import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def reviewer(db):
    """Make a reviewer the way operators do (Reviewers group, not a superuser)."""
    from reviews.services import ensure_reviewer

    def make(email: str) -> object:
        user, _ = ensure_reviewer(email=email, password=PASSWORD)
        return user

    return make


@pytest.fixture
def sam(reviewer):
    """A second reviewer, for claim conflicts."""
    return reviewer("sam@filot.example")


@pytest.fixture
def rita_reviewer(reviewer):
    return reviewer("rita@filot.example")


@pytest.fixture
def needs_review(alice):
    from tests.reviews.documents import document_needing_review

    return document_needing_review(alice)


SIGNATURE_SECRET = "test-buli2-signature-secret-0123456789"


@pytest.fixture
def buli2_settings(settings):
    """BULI2 enabled with fast retries; the shared breaker state starts closed."""
    import redis

    settings.BULI2_ENABLED = True
    settings.BULI2_API_URL = "http://127.0.0.1:9/api"
    settings.BULI2_API_KEY = "test-buli2-api-key-123"
    settings.BULI2_SIGNATURE_SECRET = SIGNATURE_SECRET
    settings.BULI2_CALLBACK_URL = "http://testserver/api/v1/reviews/callback"
    settings.BULI2_TIMEOUT_SECONDS = 5
    settings.BULI2_RETRY_ATTEMPTS = 3
    settings.BULI2_RETRY_BASE_MS = 5
    settings.BULI2_RETRY_MAX_MS = 20
    settings.BULI2_BREAKER_FAIL_MAX = 3
    settings.BULI2_BREAKER_RESET_SECONDS = 60
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("filot:buli2:*"):
        client.delete(key)
    # Start-up registers the readiness check only when BULI2 is configured; these
    # settings arrive after start-up, so register it here and take it away after.
    from filot import health
    from reviews.apps import register_buli2_health

    register_buli2_health()
    yield settings
    health._checks.pop("buli2", None)
    for key in client.scan_iter("filot:buli2:*"):
        client.delete(key)


@pytest.fixture
def fake_buli2(buli2_settings):
    from tests.reviews.fake_buli2 import running_fake_buli2

    with running_fake_buli2() as fake:
        buli2_settings.BULI2_API_URL = fake.url
        yield fake
