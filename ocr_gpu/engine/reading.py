"""The result of reading one card, and its contract JSON (DESIGN.md, "OCR output")."""

from dataclasses import dataclass, field


@dataclass
class CardReading:
    doc_type: str = "UNKNOWN"
    fields: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    gpu_processed: bool = False
    error: str | None = None
    # Beyond the contract: for the scorer, reviewers and the benchmark.
    lines: list[dict] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    checks: list[dict[str, str]] = field(default_factory=list)
    tesseract_calls: int = 0
    upside_down: bool = False
    # The flattened card as the engine read it, upright (RGB array, the lines' frame).
    card_image: object = field(default=None, repr=False, compare=False)

    def to_contract(self) -> dict:
        """Exactly the contract's keys but `file`, which the caller adds first."""
        return {
            "doc_type": self.doc_type,
            "fields": dict(self.fields),
            "confidence": dict(self.confidence),
            "quality": dict(self.quality),
            "timings_ms": {key: round(value, 1) for key, value in self.timings_ms.items()},
            "gpu_processed": self.gpu_processed,
            "error": self.error,
        }
