"""The OpenAPI schema is valid, and the API keeps to it under generated input."""

import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from filot.wsgi import application
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


def test_the_schema_validates_without_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "s.yaml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "s.yaml").read_text()
    for path in ("/api/v1/auth/register", "/api/v1/documents", "/api/v1/verification/status/{document_id}"):
        assert f"{path}:" in text


@pytest.fixture
def bearer(alice):
    # Requests go through the WSGI app, not Django's test client: keep Django from
    # closing the test transaction's connection at the end of each one, as the client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield client_for(alice)._credentials["HTTP_AUTHORIZATION"]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# derandomize: CI explores the same cases on every run, so a red build is a change,
# never the luck of the draw. To explore new ground, drop derandomize and raise
# max_examples locally (then keep any case it finds as a plain regression test).
@schema.parametrize()
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)
@pytest.mark.django_db
def test_no_generated_request_gets_a_500_or_breaks_the_schema(case, bearer, settings):
    settings.RATELIMIT_ENABLE = False
    # positive_data_acceptance is left out: the schema cannot say that a refresh token
    # or a document id must exist, so schema-valid values are rightly refused.
    case.call_and_validate(headers={"Authorization": bearer}, excluded_checks=[positive_data_acceptance])
