"""The benchmark's printed tables: one per yardstick, the readers side by side.

Each field cell is `exact / wrong / missing` as shares of the fields of that slice.
"""

from ocr_gpu.bench.scoring import Result, Tally, median, percentile

_STAGES = ("decode", "locate", "detect", "recognize", "parse", "verify", "total")
_WIDTH = 24


def _row(label: str, values: list[str]) -> str:
    return f"{label:<26}" + "".join(f"{value:>{_WIDTH}}" for value in values)


def _cell(tally: Tally | None) -> str:
    if not tally or not tally.fields:
        return "-"
    return f"{tally.accuracy:.3f}/{tally.wrong_rate:.3f}/{tally.missing_rate:.3f}"


def format_report(title: str, results: list[Result], peer: str | None = None) -> str:
    out = [
        f"== {title} ({results[0].cards} cards) -- cells: exact/wrong/missing",
        _row("", [r.name for r in results]),
    ]
    out.append(_row("doc type accuracy", [f"{r.doc_type_right / max(r.cards, 1):.3f}" for r in results]))
    out.append(_row("fields (all)", [_cell(r.overall) for r in results]))
    out.append(_row("  n fields", [str(r.overall.fields) for r in results]))
    out.append(_row("NIK", [_cell(r.nik) for r in results]))
    out.append("by difficulty")
    for difficulty in ("clean", "photo", "hard"):
        out.append(_row(f"  {difficulty}", [_cell(r.by_difficulty.get(difficulty)) for r in results]))
        doc = [r.doc_by_difficulty.get(difficulty, [0, 0]) for r in results]
        out.append(_row("    doc type", [f"{right / max(total, 1):.3f}" for right, total in doc]))
    out.append("per field")
    for key in sorted({key for r in results for key in r.by_field}):
        out.append(_row(f"  {key}", [_cell(r.by_field.get(key)) for r in results]))
    out.append("latency ms (median / p95)")
    for stage in _STAGES:
        cells = []
        for result in results:
            values = result.timings.get(stage, [])
            cells.append(f"{median(values):.0f} / {percentile(values, 0.95):.0f}" if values else "-")
        out.append(_row(f"  {stage}", cells))
    if peer:
        peer_median = median(next(r for r in results if r.name == peer).timings.get("total", []))
        ratios = [f"{median(r.timings.get('total', [])) / max(peer_median, 1e-9):.2f}" for r in results]
        out.append(_row(f"median time / {peer}", ratios))
    out.append(_row("cards/s", [f"{r.cards / max(r.wall_seconds, 1e-9):.2f}" for r in results]))
    out.append(_row("tesseract reads/card", [f"{r.tesseract_calls / max(r.cards, 1):.1f}" for r in results]))
    checks = [f"{r.checks_found}/{r.checks_expected} +{r.checks_false}" for r in results]
    out.append(_row("NIK mismatch flags", checks))
    return "\n".join(out)


def format_wrong_values(results: list[Result]) -> str:
    lines = []
    for result in results:
        lines += [f"  [{result.name}] {example}" for example in result.wrong_examples]
    return "\n".join(["wrong values (first few):", *lines]) if lines else ""
