"""The OCR commands, through the CLI as an operator runs them."""

import json
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cards")
    call_command("make_sample_cards", out=folder, count=3, seed=21, stdout=StringIO())
    return folder


def test_make_sample_cards_writes_the_images_and_their_truth(cards) -> None:
    records = [json.loads(line) for line in (cards / "truth.jsonl").read_text().splitlines()]
    assert [(cards / r["file"]).is_file() for r in records] == [True, True, True]


def test_ocr_file_prints_one_contract_line_per_file_in_order_even_for_bad_files(cards, tmp_path) -> None:
    records = [json.loads(line) for line in (cards / "truth.jsonl").read_text().splitlines()]
    good = str(cards / records[0]["file"])
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"this is not a picture")
    missing = str(tmp_path / "missing.jpg")
    out = StringIO()
    call_command("ocr_file", good, str(junk), missing, json=True, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["file"] for line in lines] == [good, str(junk), missing]
    assert list(lines[0]) == [
        "file",
        "doc_type",
        "fields",
        "confidence",
        "quality",
        "timings_ms",
        "gpu_processed",
        "error",
    ]
    assert lines[0]["doc_type"] == records[0]["doc_type"]
    assert [line["doc_type"] for line in lines[1:]] == ["UNKNOWN", "UNKNOWN"]
    assert all(line["error"] for line in lines[1:])


def test_ocr_file_without_json_prints_a_readable_summary(cards) -> None:
    record = json.loads((cards / "truth.jsonl").read_text().splitlines()[0])
    out = StringIO()
    call_command("ocr_file", str(cards / record["file"]), stdout=out)
    assert out.getvalue().startswith(f"{cards / record['file']}: {record['doc_type']}")


def test_ocr_benchmark_reports_exact_wrong_and_missing_per_field_and_difficulty(cards) -> None:
    out = StringIO()
    call_command("ocr_benchmark", "--cards", str(cards), "--limit", "2", "--baseline", stdout=out)
    report = out.getvalue()
    assert "exact/wrong/missing" in report
    for row in ("doc type accuracy", "fields (all)", "NIK", "per field", "total", "verify", "cards/s"):
        assert row in report
    assert "baseline psm3" in report
    cells = re.findall(r"\b(\d\.\d{3})/(\d\.\d{3})/(\d\.\d{3})\b", report)
    assert cells and all(abs(sum(float(v) for v in cell) - 1) < 0.0021 for cell in cells)


def test_ocr_benchmark_runs_one_table_per_yardstick(tmp_path) -> None:
    call_command(
        "make_sample_cards", out=tmp_path / "t", count=1, seed=3, yardstick="tuning", stdout=StringIO()
    )
    call_command(
        "make_sample_cards", out=tmp_path / "e", count=1, seed=3, yardstick="evaluation", stdout=StringIO()
    )
    out = StringIO()
    call_command("ocr_benchmark", "--cards", str(tmp_path / "t"), str(tmp_path / "e"), stdout=out)
    assert "== tuning:" in out.getvalue()
    assert "== evaluation:" in out.getvalue()


def test_importing_the_engine_does_not_load_onnxruntime_or_opencv() -> None:
    code = (
        "import sys, ocr_gpu.engine, ocr_gpu.engine.assets; "
        "print(sorted({'onnxruntime', 'cv2'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
