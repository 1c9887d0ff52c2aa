"""Match an explained answer against a card's key points: deterministic, explainable, offline.

A key point is covered when one of its phrasings is found in the text: every word of the
phrasing appears within a short stretch of the text, in any order and any inflection (words are
compared by their Snowball stems), with a small typo allowed in longer words (RapidFuzz), or when
one of its regular expressions matches. The result names, for each point, the stretches of the
learner's text that made it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

from app.content.models import KeyPoint

MAX_TEXT = 5_000  # characters of one explained answer
FUZZY_MIN_LENGTH = 5  # stems this long allow a typo
FUZZY_SCORE = 84.0  # RapidFuzz ratio: about one wrong letter in six
PREFIX_MIN_LENGTH = 6  # stems this long also match words that start with them
# A phrasing's words must all fall within this many words of the text (stop words not
# counted): 4 more than twice the phrasing's words.
WINDOW_BASE, WINDOW_PER_WORD = 4, 2
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "and",
        "or",
        "is",
        "are",
        "be",
        "it",
        "its",
        "as",
        "that",
        "this",
        "from",
        "into",
        "than",
        "then",
        "so",
        "do",
        "does",
    }
)
# Words, with their hyphenated compounds kept whole ("co-adaptation"), in any script.
_WORD = re.compile(r"[^\W_]+(?:[-‐][^\W_]+)*")
_STEMMER = snowballstemmer.stemmer("english")

Span = tuple[int, int]


def is_word(text: str) -> bool:
    """Return whether text is one word (hyphenated compounds included) that phrasings can use."""
    return _WORD.fullmatch(text) is not None


def _norm(word: str) -> str:
    return word.lower().replace("-", "").replace("‐", "")


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(_norm(word)))


@dataclass(frozen=True)
class Tokens:
    """The words of a text: their stems and where each stands in the text."""

    stems: tuple[str, ...]
    spans: tuple[Span, ...]

    @classmethod
    def of(cls, text: str) -> "Tokens":
        """Split a text into words."""
        # Stop words are left out, as phrasings leave them out: a window counts words that
        # carry meaning.
        found = [m for m in _WORD.finditer(text) if _norm(m.group()) not in STOPWORDS]
        return cls(tuple(_stem(m.group()) for m in found), tuple(m.span() for m in found))


@lru_cache(maxsize=4_096)
def phrasing_slots(phrasing: str) -> tuple[tuple[str, ...], ...]:
    """Return a phrasing's words as stems, each with its alternatives; stop words left out.

    "drops|zeroes the units" -> (("drop", "zero"), ("unit",)).
    """
    slots = []
    for word in phrasing.split():
        alternatives = tuple(
            dict.fromkeys(
                _stem(alt)
                for alt in word.split("|")
                if _WORD.fullmatch(alt) and _norm(alt) not in STOPWORDS
            )
        )
        if alternatives:
            slots.append(alternatives)
    return tuple(slots)


class _Index:
    """Where each stem of a text occurs, with fuzzy lookups done once per stem asked."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.positions: dict[str, list[int]] = {}
        for index, stem in enumerate(tokens.stems):
            self.positions.setdefault(stem, []).append(index)
        self.vocabulary = list(self.positions)
        self._found: dict[str, list[int]] = {}

    def find(self, stem: str) -> list[int]:
        """Return the positions of words that match a stem (exactly, by prefix, or fuzzily)."""
        if stem in self._found:
            return self._found[stem]
        hits = set(self.positions.get(stem, ()))
        if len(stem) >= PREFIX_MIN_LENGTH:
            for word in self.vocabulary:
                if word.startswith(stem):
                    hits.update(self.positions[word])
        if len(stem) >= FUZZY_MIN_LENGTH:
            for word, _score, _i in process.extract(
                stem,
                self.vocabulary,
                scorer=fuzz.ratio,
                score_cutoff=FUZZY_SCORE,
                limit=None,
            ):
                if len(word) >= FUZZY_MIN_LENGTH:
                    hits.update(self.positions[word])
        found = self._found[stem] = sorted(hits)
        return found


def _window(slot_positions: list[list[int]], width: int) -> list[int] | None:
    """Return one position per slot, all within width words, the tightest such choice."""
    events = sorted(
        (pos, slot) for slot, positions in enumerate(slot_positions) for pos in positions
    )
    need = len(slot_positions)
    counts = [0] * need
    covered = 0
    best: tuple[int, int, int] | None = None  # (size, start index, end index) into events
    left = 0
    for right, (pos, slot) in enumerate(events):
        counts[slot] += 1
        if counts[slot] == 1:
            covered += 1
        while covered == need:
            size = pos - events[left][0]
            if best is None or size < best[0]:
                best = (size, left, right)
            gone = events[left][1]
            counts[gone] -= 1
            if counts[gone] == 0:
                covered -= 1
            left += 1
    if best is None or best[0] >= width:
        return None
    chosen: dict[int, int] = {}
    for pos, slot in events[best[1] : best[2] + 1]:
        chosen.setdefault(slot, pos)
    return sorted(chosen.values())


def _phrasing_spans(index: _Index, phrasing: str) -> list[Span] | None:
    slots = phrasing_slots(phrasing)
    if not slots:
        return None
    slot_positions = []
    for alternatives in slots:
        positions = sorted({p for stem in alternatives for p in index.find(stem)})
        if not positions:
            return None
        slot_positions.append(positions)
    chosen = _window(slot_positions, width=WINDOW_BASE + WINDOW_PER_WORD * len(slots))
    if chosen is None:
        return None
    return [index.tokens.spans[p] for p in chosen]


@dataclass(frozen=True)
class PointMatch:
    """A key point, whether the text made it, and the stretches of the text that did."""

    id: str
    text: str
    covered: bool
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Coverage:
    """The key points made and missed by one answer, and the grade it suggests."""

    points: tuple[PointMatch, ...]

    @property
    def share(self) -> float:
        """Return the share of points covered (0 without points)."""
        if not self.points:
            return 0.0
        return sum(point.covered for point in self.points) / len(self.points)

    @property
    def suggested_rating(self) -> int:
        """Return the grade the share suggests: Again under half, Hard under 3/4, else Good."""
        share = self.share
        if share < 0.5:
            return 1
        if share < 0.75:
            return 2
        return 3

    @property
    def spans(self) -> tuple[Span, ...]:
        """Return every matched stretch of the text, in order, overlaps merged."""
        merged: list[list[int]] = []
        for start, end in sorted(s for point in self.points for s in point.spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return tuple((start, end) for start, end in merged)


def _point(index: _Index, text: str, point: KeyPoint) -> PointMatch:
    for pattern in point.regex:
        found = re.search(pattern, text, flags=re.IGNORECASE)
        if found and found.end() > found.start():
            return PointMatch(point.id, point.text, True, (found.span(),))
    for phrasing in point.match:
        spans = _phrasing_spans(index, phrasing)
        if spans:
            return PointMatch(point.id, point.text, True, tuple(spans))
    return PointMatch(point.id, point.text, False, ())


def match_points(text: str, points: Sequence[KeyPoint]) -> Coverage:
    """Match a text against key points; text longer than MAX_TEXT is refused by the callers."""
    index = _Index(Tokens.of(text))
    return Coverage(tuple(_point(index, text, point) for point in points))
