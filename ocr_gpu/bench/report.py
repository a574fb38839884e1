"""The benchmark's printed table: engine and baseline side by side."""

from ocr_gpu.bench.scoring import Result, median, percentile

_STAGES = ("decode", "locate", "detect", "recognize", "parse", "total")


def _row(label: str, values: list[str]) -> str:
    return f"{label:<28}" + "".join(f"{value:>26}" for value in values)


def _pair(tally_of, results: list[Result]) -> list[str]:
    cells = []
    for result in results:
        tally = tally_of(result)
        cells.append(f"{tally.accuracy:.3f} cer {tally.cer:.3f} n={tally.fields}" if tally else "-")
    return cells


def format_report(results: list[Result]) -> str:
    out = [_row("", [r.name for r in results]), _row("cards", [str(r.cards) for r in results])]
    out.append(_row("doc type accuracy", [f"{r.doc_type_right / max(r.cards, 1):.3f}" for r in results]))
    out.append(_row("field exact-match (all)", _pair(lambda r: r.overall, results)))
    out.append(_row("NIK exact-match", _pair(lambda r: r.nik, results)))
    out.append("")
    out.append("by difficulty (field exact-match / doc type)")
    for difficulty in ("clean", "photo", "hard"):
        cells = []
        for result in results:
            tally = result.by_difficulty.get(difficulty)
            right, total = result.doc_by_difficulty.get(difficulty, [0, 0])
            cells.append(f"{tally.accuracy:.3f} / {right / max(total, 1):.3f}" if tally else "-")
        out.append(_row(f"  {difficulty}", cells))
    out.append("")
    out.append("per field (exact-match, character error rate)")
    for key in sorted({key for r in results for key in r.by_field}):
        out.append(_row(f"  {key}", _pair(lambda r, key=key: r.by_field.get(key), results)))
    out.append("")
    out.append("latency ms (median / p95)")
    for stage in _STAGES:
        cells = []
        for result in results:
            values = result.timings.get(stage, [])
            cells.append(f"{median(values):.0f} / {percentile(values, 0.95):.0f}" if values else "-")
        out.append(_row(f"  {stage}", cells))
    out.append(_row("cards/s", [f"{r.cards / max(r.wall_seconds, 1e-9):.2f}" for r in results]))
    out.append(
        _row("tesseract process starts/card", [f"{r.process_starts / max(r.cards, 1):.2f}" for r in results])
    )
    out.append(_row("tesseract reads/card", [f"{r.tesseract_calls / max(r.cards, 1):.1f}" for r in results]))
    out.append(_row("spurious fields", [str(r.spurious_fields) for r in results]))
    checks = [f"{r.checks_found}/{r.checks_expected} (+{r.checks_false} false)" for r in results]
    out.append(_row("NIK mismatch flags found", checks))
    return "\n".join(out)
