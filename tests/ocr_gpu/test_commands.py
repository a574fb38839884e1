"""The OCR commands, through the CLI as an operator runs them."""

import json
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


def test_ocr_benchmark_prints_accuracy_and_latency_beside_the_baseline(cards) -> None:
    out = StringIO()
    call_command("ocr_benchmark", cards=cards, baseline_limit=1, stdout=out)
    report = out.getvalue()
    for row in (
        "doc type accuracy",
        "field exact-match (all)",
        "NIK exact-match",
        "hard",
        "total",
        "cards/s",
    ):
        assert row in report
    assert "baseline (psm 3)" in report


def test_importing_the_engine_does_not_load_onnxruntime_or_opencv() -> None:
    code = (
        "import sys, ocr_gpu.engine, ocr_gpu.engine.assets; "
        "print(sorted({'onnxruntime', 'cv2'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
