"""Questions asked of the loaded content, shared by the HTML pages and the JSON API."""

from dataclasses import dataclass
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
    """Return the deck's cards that pass every filter, in deck order."""
    topic_ids = [topic.id for topic in deck.topics]
    if card_filter.topic is not None and card_filter.topic not in topic_ids:
        raise BadFilter(
            "topic",
            f"unknown topic '{card_filter.topic}': use one of {', '.join(topic_ids)}",
        )
    words = card_filter.text.casefold().split()
    return [
        card
        for card in deck.cards
        if (card_filter.difficulty is None or card.difficulty == card_filter.difficulty)
        and (card_filter.topic is None or card_filter.topic in card.topics)
        and all(word in card.search_text for word in words)
    ]


def difficulty_counts(deck: Deck) -> dict[str, int]:
    """Return how many cards the deck has of each difficulty."""
    return {
        level.value: sum(card.difficulty == level for card in deck.cards) for level in Difficulty
    }
