"""Helpers for the integrator API tests: an API key, its client, applicants, endpoints."""

from io import StringIO

from django.core.management import call_command
from rest_framework.test import APIClient


def new_api_key(name: str = "Acme Pay") -> str:
    """A key made the way an operator makes one: `manage.py create_api_key`."""
    out = StringIO()
    call_command("create_api_key", "--name", name, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def key_client(key: str, **headers: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key, **headers)
    return client


def new_applicant(client: APIClient, external_id: str = "user-4711", **fields: str) -> dict:
    body = {"external_id": external_id, "full_name": "Budi Santoso", "date_of_birth": "1990-08-17", **fields}
    response = client.post("/api/v1/applicants", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def new_endpoint(client: APIClient, url: str, events: list[str] | None = None) -> dict:
    events = events or [
        "document.decided",
        "document.needs_review",
        "document.failed",
        "applicant.status_changed",
    ]
    response = client.post("/api/v1/webhook-endpoints", {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.content
    return response.json()
