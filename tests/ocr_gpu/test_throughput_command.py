"""`manage.py ocr_throughput`: its table for N = 1 and 2 OCR processes on this machine's CPU."""

import re
from io import StringIO

from django.core.management import call_command

ROW = re.compile(r"^cpu +(\d) +([\d.]+) +([\d.]+)((?: +[\d.]+){7})$", re.MULTILINE)


def test_it_prints_cards_per_second_and_stage_times_for_each_process_count():
    out = StringIO()
    call_command("ocr_throughput", "--processes", "2", "--cards", "3", "--provider", "cpu", stdout=out)
    text = out.getvalue()
    assert "decode ms" in text and "recognize ms" in text and "verify ms" in text and "total ms" in text
    # Measured as the workers run: with the second opinion (the settings' default), not without.
    assert "second opinion on" in text, text
    rows = {int(match.group(1)): match for match in ROW.finditer(text)}
    assert sorted(rows) == [1, 2], text
    for count, row in rows.items():
        rate, per_process = float(row.group(2)), float(row.group(3))
        assert rate > 0
        assert abs(per_process - rate / count) < 0.02
        stages = [float(value) for value in row.group(4).split()]
        assert stages[-1] >= max(stages[:-1]) > 0  # the total covers every stage
    assert "cpu: ONNX Runtime providers CPUExecutionProvider" in text
