"""Correcting a reading to a closed vocabulary only when the evidence is unique and strong.

A reading is taken as a misreading of an entry when it is within a small edit distance of
that entry (a share of its length) and of no other, and every other entry is clearly
farther. Anything else is no correction: the caller keeps the reading as printed with a low
confidence, or leaves the field absent. Snapping to the "most similar" entry is how a
regency missing from a list turned into a different, real regency.
"""

from collections.abc import Iterable
from functools import lru_cache

MARGIN = 2  # the runner-up must be at least this many edits farther than the match


# The same readings are held against the same vocabularies on every re-parse of a card.
@lru_cache(maxsize=65536)
def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; with limit, any value above it may be returned as limit + 1."""
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def budget(text: str, share: float) -> int:
    return max(1, int(share * len(text)))


def near(value: str, vocabulary: Iterable[str], share: float) -> list[tuple[int, str]]:
    """The entries within the edit budget of the reading, nearest first, with their distances."""
    allowed = budget(value, share) + MARGIN
    found = []
    for entry in vocabulary:
        distance = edit_distance(value, entry, allowed)
        if distance <= allowed:
            found.append((distance, entry))
    return sorted(found)


def closest(value: str, vocabulary: Iterable[str], share: float = 0.2) -> str | None:
    """The entry the reading is a misreading of, when exactly one is close and all others far."""
    value = " ".join(value.split())
    entries = vocabulary if isinstance(vocabulary, (set, frozenset, dict)) else set(vocabulary)
    if value in entries:
        return value
    found = near(value, entries, share)
    if not found or found[0][0] > budget(value, share):
        return None
    if len(found) > 1 and (found[1][0] <= budget(value, share) or found[1][0] < found[0][0] + MARGIN):
        return None
    return found[0][1]


def within(value: str, vocabulary: Iterable[str], share: float = 0.2) -> list[str]:
    """Every entry within the edit budget of the reading (for a cross-check to choose from)."""
    value = " ".join(value.split())
    return [entry for distance, entry in near(value, vocabulary, share) if distance <= budget(value, share)]
