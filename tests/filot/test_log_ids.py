"""Log masking hides NIK/NPWP numbers but leaves ids alone; Django's own request lines
carry the request's correlation id like every other line."""

import pytest

from filot.logging import mask_text

NIK = "3171011708900001"  # synthetic
NPWP = "12.345.678.9-012.345"


@pytest.mark.parametrize(
    "identifier",
    [
        "12345678-1234-1234-1234-123456789012",
        "00000000-0000-4000-8000-000000000000",
        "abcd1234-1234-1234-1234-abcdef123456",
        "1234567812345678-abcd",
    ],
)
def test_uuids_and_other_dashed_ids_are_left_intact(identifier):
    text = f"document {identifier} decided"

    assert mask_text(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"nik {NIK}, ok", "nik 3171********0001, ok"),
        (f'{{"nik": "{NIK}"}}', '{"nik": "3171********0001"}'),
        ("nik 3171-0117-0890-0001.", "nik 3171********0001."),
        (f"npwp {NPWP} done", "npwp 1234*******2345 done"),
        (f"/documents/{NIK}/x", "/documents/3171********0001/x"),
    ],
)
def test_nik_and_npwp_numbers_are_still_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.django_db
def test_django_request_lines_carry_the_correlation_id(client, log_output):
    response = client.get("/api/v1/no-such-route", HTTP_X_REQUEST_ID="corr-django-request-1")

    assert response.status_code == 404
    lines = [line for line in log_output.getvalue().splitlines() if "django.request" in line]
    assert lines, log_output.getvalue()
    assert all("correlation_id=corr-django-request-1" in line for line in lines)
    assert all("WSGIRequest" not in line for line in lines)
