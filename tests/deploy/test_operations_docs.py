"""The runbook covers what the issue lists, and the Logs Insights queries look for events the code logs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
LOG_CALL = re.compile(r"\blog\.(?:debug|info|warning|error|exception)\(\s*\"(\w+)\"")


def logged_events() -> set[str]:
    """Event names passed to a structlog call anywhere in the code."""
    events = set()
    for path in ROOT.rglob("*.py"):
        if {".venv", "tests", ".git"} & set(path.relative_to(ROOT).parts):
            continue
        events.update(
            re.findall(r"\blog\.(?:debug|info|warning|error|exception)\(\s*\"(\w+)\"", path.read_text())
        )
    return events


def test_the_queries_filter_on_events_the_code_really_logs():
    queries = sorted((DEPLOY / "logs").glob("*.query"))
    assert {path.stem for path in queries} >= {"errors-by-step", "document-path", "cpu-fallbacks", "buli2"}
    events = logged_events()
    for path in queries:
        text = path.read_text()
        assert re.search(r"^(fields|filter|stats)\b", text, re.MULTILINE), path.name
        named = re.findall(r'event = "(\w+)"', text)
        for listed in re.findall(r"event in \[([^\]]*)\]", text):
            named += re.findall(r'"(\w+)"', listed)
        for event in named:
            assert event in events, f"{path.name} looks for {event!r}, which nothing logs"
    path_query = (DEPLOY / "logs/document-path.query").read_text()
    assert "correlation_id" in path_query


def test_each_pipeline_step_logs_an_event():
    assert {
        "queue_pull",
        "ocr_done",
        "ocr_cpu_fallback",
        "document_decided",
        "document_uploaded",
    } <= logged_events()


def test_the_runbook_covers_every_operation_the_issue_lists():
    runbook = (DEPLOY / "runbook.md").read_text().lower()
    for topic in (
        "first-time set-up",
        "roles",
        "secrets",
        "ecr repositories",
        "clusters",
        "auto-scaling group",
        "## 2. deploy",
        "rollback to the previous task revision",
        "scale the gpu fleet",
        "drain and replace a gpu node",
        "requeue stuck jobs",
        "rotate secrets",
        "where logs and metrics are",
        "alarms: what each means",
    ):
        assert topic in runbook, topic
    alarms = re.findall(r'"AlarmName": "([\w-]+)"', (DEPLOY / "alarms/cloudwatch-alarms.json").read_text())
    for alarm in alarms:
        assert f"`{alarm}`" in runbook, alarm
