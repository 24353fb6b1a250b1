"""A word-level diff of two texts (two prompts), as segments a page can draw.

Plain Python, no Streamlit: the page escapes each segment's text when it draws it. Words are
what whitespace separates; whitespace itself is not compared (a segment's words are joined
by single spaces). Any text goes in (anyone's prompt, None, a number), at most MAX_CHARS of
each side are compared, and the time taken stays bounded on repetitive text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

MAX_CHARS = 10_000
# The matcher's exact search is quadratic on repetitive text ("a a a …"): above this many
# word pairs, words more common than 1 % of a text no longer anchor a match.
EXACT_PAIRS = 400_000

Change = Literal["same", "removed", "added"]


@dataclass(frozen=True)
class Segment:
    """A run of words only in the first text ("removed"), only in the second ("added"), or
    in both ("same")."""

    change: Change
    text: str


@dataclass(frozen=True)
class WordDiff:
    segments: tuple[Segment, ...]
    truncated: bool = False  # a text was longer than MAX_CHARS: only its start was compared

    @property
    def identical(self) -> bool:
        return all(s.change == "same" for s in self.segments)

    def words(self, change: Change) -> list[str]:
        """Every word of the segments of one kind, in order."""
        return [w for s in self.segments if s.change == change for w in s.text.split()]


def words(text: Any) -> list[str]:
    """The words of `text` (its first MAX_CHARS characters); [] for None."""
    return [] if text is None else str(text)[:MAX_CHARS].split()


def _common_start(a: list[str], b: list[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _middle(a: list[str], b: list[str]) -> list[tuple[Change, list[str]]]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=len(a) * len(b) > EXACT_PAIRS)
    pieces: list[tuple[Change, list[str]]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("same", a[i1:i2]))
            continue
        pieces.append(("removed", a[i1:i2]))  # empty for an insert
        pieces.append(("added", b[j1:j2]))  # empty for a delete
    return pieces


def _joined(pieces: list[tuple[Change, list[str]]]) -> tuple[Segment, ...]:
    """Neighbouring pieces of one kind as one segment; empty pieces dropped."""
    merged: list[tuple[Change, list[str]]] = []
    for change, run in pieces:
        if not run:
            continue
        if merged and merged[-1][0] == change:
            merged[-1][1].extend(run)
        else:
            merged.append((change, list(run)))
    return tuple(Segment(change, " ".join(run)) for change, run in merged)


def diff(old: Any, new: Any) -> WordDiff:
    """How `new` differs from `old`, word by word. A removed run comes before the added run
    that replaces it."""
    a, b = words(old), words(new)
    head = _common_start(a, b)
    tail = _common_start(a[head:][::-1], b[head:][::-1])
    pieces: list[tuple[Change, list[str]]] = [("same", a[:head])]
    pieces += _middle(a[head : len(a) - tail], b[head : len(b) - tail])
    pieces.append(("same", a[len(a) - tail :]))
    truncated = any(t is not None and len(str(t)) > MAX_CHARS for t in (old, new))
    return WordDiff(_joined(pieces), truncated)
