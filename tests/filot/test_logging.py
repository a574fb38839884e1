"""Every log line is masked, whichever logger wrote it, and carries the correlation id."""

import io
import json
import logging

import pytest
import structlog

from filot.correlation import bind_correlation_id, unbind_correlation_id
from filot.logging import mask_text

# Synthetic numbers only: a structurally valid but invented NIK and NPWP.
NIK = "3171011708900001"
NPWP = "12.345.678.9-012.345"


def test_a_standard_library_log_line_with_a_nik_is_masked(log_output):
    logging.getLogger("some.library").warning("looked up %s for the applicant", NIK)
    line = log_output.getvalue()
    assert NIK not in line
    assert "3171********0001" in line


def test_a_structlog_event_with_a_nik_in_any_field_is_masked(log_output):
    structlog.get_logger("kyc").info("ocr_done", reading={"lines": [f"NIK : {NIK}"]}, note=f"npwp {NPWP}")
    line = log_output.getvalue()
    assert NIK not in line
    assert "345.678" not in line
    assert "1234*******2345" in line


def test_a_traceback_that_contains_a_nik_is_masked(log_output):
    try:
        raise ValueError(f"bad card {NIK}")
    except ValueError:
        logging.getLogger("dramatiq.worker").exception("actor failed")
    line = log_output.getvalue()
    assert "ValueError" in line
    assert NIK not in line


def test_configured_secrets_and_tokens_are_masked(log_output, settings):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxMjM0NX0.c2lnbmF0dXJlLXZhbHVl"
    logging.getLogger("x").info("key %s token %s", settings.JWT_SECRET, jwt)
    line = log_output.getvalue()
    assert settings.JWT_SECRET not in line
    assert jwt not in line


def test_sensitive_keys_are_redacted_in_structured_events(log_output):
    structlog.get_logger("x").info("login", password="hunter2-hunter2", nik="whatever")
    line = log_output.getvalue()
    assert "hunter2" not in line
    assert "whatever" not in line


def test_short_numbers_dates_and_uuids_are_left_alone():
    text = "phone 0812-3456-7890 at 2026-11-22T06:31:54 doc 0b6f3c8e-5a43-4a0e-9d7a-2b1a8c7d6e5f"
    assert mask_text(text) == text


def test_log_lines_carry_the_bound_correlation_id(log_output):
    bind_correlation_id("corr-test-000001")
    try:
        logging.getLogger("plain").info("one")
        structlog.get_logger("structured").info("two")
    finally:
        unbind_correlation_id()
    lines = log_output.getvalue().splitlines()
    assert len(lines) == 2
    assert all("corr-test-000001" in line for line in lines)


def test_production_lines_are_json(settings):
    from filot.logging import build_logging

    build_logging(json=True, level="INFO", secrets=[])
    try:
        root = logging.getLogger()
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(root.handlers[0].formatter)
        root.addHandler(handler)
        structlog.get_logger("kyc").info("decision", outcome="auto_approved", nik_seen=NIK)
        root.removeHandler(handler)
        event = json.loads(stream.getvalue().splitlines()[-1])
        assert event["event"] == "decision"
        assert event["outcome"] == "auto_approved"
        assert event["nik_seen"] == "3171********0001"
        assert event["level"] == "info"
    finally:
        build_logging(json=settings.LOG_JSON, level=settings.LOG_LEVEL, secrets=[settings.JWT_SECRET])


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "console"])
def test_a_traceback_never_shows_local_variables(as_json, settings):
    """Locals hold names and addresses the masking cannot recognize."""
    from filot import logging as filot_logging

    saved = list(filot_logging._secret_values)

    # Built at run time: the source lines a console traceback quotes must not contain them.
    name, street = "-".join(["SITI", "RAHMA"]), "-".join(["JL", "MAWAR"])

    def ingest(full_name: str) -> None:
        address = street.lower()  # noqa: F841 - a local a traceback would show
        raise RuntimeError("storage unavailable")

    filot_logging.build_logging(json=as_json, level="INFO", secrets=saved)
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    try:
        try:
            ingest(name)
        except RuntimeError:
            logging.getLogger("dramatiq.worker").exception("Failed to process message")
    finally:
        root.removeHandler(handler)
        filot_logging.build_logging(json=settings.LOG_JSON, level=settings.LOG_LEVEL, secrets=saved)
    line = stream.getvalue()
    assert "storage unavailable" in line
    assert "SITI-RAHMA" not in line
    assert "jl-mawar" not in line
