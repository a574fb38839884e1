"""A line read as one entry of a closed list, from the second reader's character probabilities.

Where neither reader's text gives a value passing a closed list's check (the I of a soft
`WNI` lost, `WN` or `we`), the ONNX recognizer's per-frame character probabilities still say
how probable each entry is as the line's text: the CTC forward algorithm sums every
alignment of the entry with the frames (letter case merged, blanks and marks such as the
colon allowed before and after it). An entry is taken only when it is clearly the line's
text: far more probable than every other entry (`MARGIN`) and probable itself (`FLOOR`), so
a line that says something else, or that two entries fit alike, gives nothing.

On the nationality lines of 80 hard tuning-style photos, each card printed once with WNI
and once with WNA (160 lines), the entry printed was the more probable in all but three; in
those three the other entry led by 0.7-3.2, under the margin, so nothing was taken.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

MARGIN = 4.6  # natural log: the entry is at least 100 times as probable as any other
# Natural log: the entry's own probability is at least 5 %, or half a unit a character for
# longer entries (each character's frames add their own doubt: LAKI-LAKI at -3.1, every
# other entry under -68).
FLOOR, FLOOR_PER_CHARACTER = -3.0, -0.5
_MARKS = ":;.,|-_'\"` "  # may stand before or after the value (the colon column, a stray dot)


@dataclass(frozen=True)
class Alphabet:
    """The recognizer's character indices by upper-case character; 0 is CTC's blank."""

    letters: Mapping[str, np.ndarray]
    marks: np.ndarray

    @classmethod
    def of(cls, characters: tuple[str, ...]) -> "Alphabet":
        found: dict[str, list[int]] = {}
        for i, character in enumerate(characters):
            if i and character:
                found.setdefault(character.upper(), []).append(i)
        marks = [i for i, character in enumerate(characters) if i and character and character in _MARKS]
        return cls({c: np.array(indices) for c, indices in found.items()}, np.array(marks, dtype=int))


def log_likelihood(frames: np.ndarray, alphabet: Alphabet, text: str) -> float:
    """log P(text | frames) under CTC; frames are per-frame probabilities (T x characters)."""
    if not text or any(character not in alphabet.letters for character in text):
        return float("-inf")
    tiny = 1e-30
    blank = np.log(frames[:, 0] + tiny)
    around = np.log(frames[:, 0] + frames[:, alphabet.marks].sum(axis=1) + tiny)
    letters = [np.log(frames[:, alphabet.letters[c]].sum(axis=1) + tiny) for c in text]
    # The extended label: blank, c1, blank, c2, ..., cL, blank; the first and last blanks may
    # also be marks. Skipping a blank between two letters is allowed unless they are the same.
    states = 2 * len(text) + 1
    emit = np.empty((frames.shape[0], states))
    for s in range(states):
        emit[:, s] = letters[s // 2] if s % 2 else blank
    emit[:, 0], emit[:, -1] = around, around
    skip = np.zeros(states, bool)
    for s in range(3, states, 2):
        skip[s] = text[s // 2] != text[s // 2 - 1]
    alpha = np.full(states, -np.inf)
    alpha[0], alpha[1] = emit[0, 0], emit[0, 1]
    for t in range(1, frames.shape[0]):
        stay = alpha
        step = np.concatenate(([-np.inf], alpha[:-1]))
        jump = np.where(skip, np.concatenate(([-np.inf, -np.inf], alpha[:-2])), -np.inf)
        alpha = np.logaddexp(np.logaddexp(stay, step), jump) + emit[t]
    return float(np.logaddexp(alpha[-1], alpha[-2]))


def _spellings(entry: str) -> tuple[str, ...]:
    """The entry with its spaces, and without them (the recognizer often reads none)."""
    return (entry, entry.replace(" ", "")) if " " in entry else (entry,)


def _score(frames: np.ndarray, alphabet: Alphabet, entry: str) -> float:
    return float(np.logaddexp.reduce([log_likelihood(frames, alphabet, s) for s in _spellings(entry)]))


def entry_of(frames: np.ndarray, alphabet: Alphabet, entries: Iterable[str]) -> tuple[str, float] | None:
    """The entry the line clearly reads as, with its probability; None when none clearly does."""
    scores = sorted(((_score(frames, alphabet, entry), entry) for entry in entries), reverse=True)
    if not scores or scores[0][0] < min(FLOOR, FLOOR_PER_CHARACTER * len(scores[0][1])):
        return None
    if len(scores) > 1 and scores[0][0] - scores[1][0] < MARGIN:
        return None
    return scores[0][1], float(np.exp(scores[0][0]))
