"""Read card images and print what the OCR engine found, one result per file, in order."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from ocr_gpu.config import engine_config
from ocr_gpu.engine import CardReading, read_card


class Command(BaseCommand):
    help = "Read KTP/NPWP images with the OCR engine (--json: one contract JSON object per line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="one JSON object per line (the contract)")
        parser.add_argument("--doc-type", choices=["KTP", "NPWP"], help="what the files are expected to be")

    def handle(self, *args: object, **options: object) -> None:
        config = engine_config()
        for name in options["files"]:
            reading = self._read(name, options["doc_type"], config)
            result = {"file": name, **reading.to_contract()}
            self.stdout.write(json.dumps(result) if options["json"] else self._human(result))

    def _read(self, name: str, hint: str | None, config: object) -> CardReading:
        try:
            data = Path(name).read_bytes()
        except OSError as problem:
            return CardReading(error=f"cannot read file: {problem.strerror or problem}")
        try:
            return read_card(data, doc_type_hint=hint, config=config)
        except Exception as problem:
            return CardReading(error=f"engine failure: {type(problem).__name__}: {problem}")

    def _human(self, result: dict) -> str:
        lines = [
            f"{result['file']}: {result['doc_type']}" + (f" ({result['error']})" if result["error"] else "")
        ]
        for key, value in result["fields"].items():
            lines.append(f"  {key:<16} {value:<40} {result['confidence'].get(key, 0):.2f}")
        timings = ", ".join(f"{k} {v:.0f} ms" for k, v in result["timings_ms"].items())
        lines.append(f"  [{timings}; gpu {result['gpu_processed']}]")
        return "\n".join(lines)
