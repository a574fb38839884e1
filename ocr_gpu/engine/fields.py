"""What a parser returns: the fields it read, how sure it is of each, and what it noticed."""

from dataclasses import dataclass, field

# Free text (names, places, addresses) has no check to tell a misreading from the print:
# below this Tesseract confidence a reading is left out rather than passed on. Set on the
# tuning yardstick only (at 0.6 it dropped five of seven wrong free-text values and one of
# 423 right ones).
FREE_TEXT_FLOOR = 0.6


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

    def put_text(self, key: str, value: str | None, confidence: float) -> None:
        """Put a free-text value, unless Tesseract was too unsure of it to pass it on."""
        if confidence >= FREE_TEXT_FLOOR:
            self.put(key, value, confidence)

    def flag(self, code: str, message: str) -> None:
        self.checks.append({"code": code, "message": message})
