"""Questions asked of the loaded content, shared by the HTML pages and the JSON API."""

import re
from dataclasses import dataclass, field
from typing import Any

from app.content.models import Card, Deck, Difficulty
from app.exceptions import AppError

MAX_QUERY_LENGTH = 200


class BadFilter(AppError, ValueError):
    """A filter value the deck does not know; names the parameter and what it accepts."""

    status = 422

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(message)

    def json_detail(self) -> Any:
        """Return the error as FastAPI lists a request's invalid parameters."""
        return [{"loc": ["query", self.parameter], "msg": str(self), "type": "value_error"}]

    def page_lines(self) -> list[str]:
        """Return the error, led by the parameter's name."""
        return [f"{self.parameter}: {self}"]


@dataclass(frozen=True)
class CardFilter:
    """What the reader asked for: difficulty, topic and free text, each optional."""

    difficulty: Difficulty | None = None
    topic: str | None = None
    text: str = ""

    @classmethod
    def of(cls, difficulty: Difficulty | None, topic: str | None, text: str) -> "CardFilter":
        """Build a filter from query parameters, blank ones meaning no filter."""
        return cls(difficulty=difficulty, topic=topic or None, text=text.strip())

    @property
    def active(self) -> bool:
        """Return whether any filter is set."""
        return bool(self.difficulty or self.topic or self.text)


def filter_cards(deck: Deck, card_filter: CardFilter) -> list[Card]:
    """Return the deck's cards that pass every filter: with search text, the most relevant
    first (see relevance), ties in deck order; without, in deck order."""
    topic_ids = [topic.id for topic in deck.topics]
    if card_filter.topic is not None and card_filter.topic not in topic_ids:
        raise BadFilter(
            "topic",
            f"unknown topic '{card_filter.topic}': use one of {', '.join(topic_ids)}",
        )
    words = search_words(card_filter.text)
    found = [
        card
        for card in deck.cards
        if (card_filter.difficulty is None or card.difficulty == card_filter.difficulty)
        and (card_filter.topic is None or card_filter.topic in card.topics)
        and all(word in card.search_text for word in words)
    ]
    if words:
        found.sort(key=lambda card: relevance(card, words))  # stable: ties keep deck order
    return found


def search_words(text: str) -> list[str]:
    """Return the words of a search, case-folded, each once, in the order typed."""
    return list(dict.fromkeys(text.casefold().split()))


def relevance(card: Card, words: list[str]) -> tuple[int, int, int]:
    """Return a card's sort key for a search (lower first): the more words its question holds
    the better, then its answer, then its note. So a card that is about the term comes before
    one that mentions it."""
    question, answer, note = (
        -sum(word in text.casefold() for word in words)
        for text in (card.question, card.answer, card.note or "")
    )
    return question, answer, note


Span = tuple[int, int]
EXCERPT_BEFORE, EXCERPT_AFTER = 60, 120
_MARKDOWN = re.compile(r"\*\*|__|[*`$]|\\(?=[A-Za-z])")  # emphasis, code, maths marks


def match_spans(text: str, words: list[str]) -> list[Span]:
    """Return where the words occur in text (case-insensitive), as (start, end) pairs."""
    if not words:
        return []
    longest_first = sorted(words, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(word) for word in longest_first), re.IGNORECASE)
    return [match.span() for match in pattern.finditer(text)]


@dataclass(frozen=True)
class Found:
    """A card a search found, with where its words are: in the question, and in an excerpt of
    the answer or note when the question lacks some of them."""

    card: Card
    question_spans: list[Span]
    excerpt: str = ""
    excerpt_spans: list[Span] = field(default_factory=list)
    excerpt_of: str = ""  # "answer" or "note"


def plain(markdown: str) -> str:
    """Return markdown as one line of plain text for an excerpt (emphasis, code and maths marks
    out: "$\\lambda$" reads "lambda")."""
    return " ".join(_MARKDOWN.sub("", markdown).split())


def excerpt(text: str, words: list[str]) -> str:
    """Return a stretch of text around the first match of the words ("" when none matches)."""
    spans = match_spans(text, words)
    if not spans:
        return ""
    first = spans[0][0]
    start = max(0, first - EXCERPT_BEFORE)
    if start > 0:  # begin at a word
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), spans[0][1] + EXCERPT_AFTER)
    if end < len(text):  # end at a word
        space = text.rfind(" ", spans[0][1], end)
        end = space if space > 0 else end
    lead, tail = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    return f"{lead}{text[start:end]}{tail}"


def found(card: Card, text: str) -> Found:
    """Return a listed card with the matches of a search in it (none without a search)."""
    words = search_words(text)
    question_spans = match_spans(card.question, words)
    folded = card.question.casefold()
    if all(word in folded for word in words):
        return Found(card, question_spans)
    missing = [word for word in words if word not in folded]
    for name, source in (("answer", card.answer), ("note", card.note or "")):
        shown = excerpt(plain(source), missing)
        if shown:
            return Found(card, question_spans, shown, match_spans(shown, words), name)
    return Found(card, question_spans)


def difficulty_counts(deck: Deck) -> dict[str, int]:
    """Return how many cards the deck has of each difficulty."""
    return {
        level.value: sum(card.difficulty == level for card in deck.cards) for level in Difficulty
    }
