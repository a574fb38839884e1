"""What a parser returns: the fields it read, how sure it is of each, and what it noticed."""

from dataclasses import dataclass, field


@dataclass
class Parsed:
    fields: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    checks: list[dict[str, str]] = field(default_factory=list)
    # How many of the document type's landmarks (labels, headers) were found.
    landmarks: int = 0
    # The recognized lines each labelled value was read from, by label key (KTP).
    lines_of: dict[str, list] = field(default_factory=dict)
    # Readings that wait for another field before they are put (the header, for the NIK).
    pending: dict[str, tuple[str, float]] = field(default_factory=dict)

    def put(self, key: str, value: str | None, confidence: float) -> None:
        if value:
            self.fields[key] = value
            self.confidence[key] = round(max(0.0, min(confidence, 1.0)), 3)

    def flag(self, code: str, message: str) -> None:
        self.checks.append({"code": code, "message": message})
