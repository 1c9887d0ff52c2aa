"""Validated, immutable decks and cards, as authors write them in YAML."""

from enum import StrEnum
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MIN_KEY_POINTS = 3


class Difficulty(StrEnum):
    """How hard a card is, as the source marks it."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(_Strict):
    """One of the deck's topic chips."""

    id: Slug
    label: Text


class CheatItem(_Strict):
    """One line of the cheat sheet: a term, what it means, its formula, a tip, and its card."""

    term: Text
    text: Text
    card: Slug | None = None
    formula: Text | None = None
    tip: Text | None = None


class CheatGroup(_Strict):
    """A titled group of cheat-sheet items."""

    name: Text
    items: tuple[CheatItem, ...] = Field(min_length=1)


class CheatSheet(_Strict):
    """A one-page summary of the deck."""

    title: Text
    groups: tuple[CheatGroup, ...] = Field(min_length=1)


class RenderedCheatItem(CheatItem):
    """A cheat-sheet item with its formula as MathML and its tip as HTML."""

    formula_html: str | None
    tip_html: str | None


class RenderedCheatGroup(CheatGroup):
    """A group of rendered cheat-sheet items."""

    items: tuple[RenderedCheatItem, ...] = Field(min_length=1)


class RenderedCheatSheet(CheatSheet):
    """A cheat sheet ready to serve."""

    groups: tuple[RenderedCheatGroup, ...] = Field(min_length=1)


class DeckSource(_Strict):
    """A deck.yaml file."""

    id: Slug
    title: Text
    short_title: Text | None = None
    tagline: Text | None = None
    subtitle: Text
    topics: tuple[Topic, ...] = Field(min_length=1)
    cheatsheet: CheatSheet | None = None
    verdict: Text | None = None


class KeyPoint(_Strict):
    """A point an interviewer listens for, and the phrasings that count as making it.

    Each phrasing in match is a few words that must all appear near each other, in any order
    and inflection ("drop unit random"); a word may offer alternatives ("neuron|unit"). A regex
    (case-insensitive) counts too, for formulas such as 1/(1-p).
    """

    id: Slug
    text: Text
    match: tuple[Text, ...] = Field(min_length=1, max_length=20)
    regex: tuple[Text, ...] = Field(default=(), max_length=5)


class FollowUp(_Strict):
    """A question an interviewer asks next, with its own key points."""

    question: Text
    key_points: tuple[KeyPoint, ...] = Field(min_length=1, max_length=6)


class CardSource(_Strict):
    """A card file, cards/NN-<id>.yaml."""

    id: Slug
    number: int = Field(ge=1, le=10_000)
    question: Text
    difficulty: Difficulty
    topics: tuple[Slug, ...] = Field(min_length=1)
    answer: Text
    formula: tuple[Text, ...] = ()
    code: Text | None = None
    code_language: Text = "python"
    pros: tuple[Text, ...] = ()
    cons: tuple[Text, ...] = ()
    chips: tuple[Text, ...] = ()
    demo: Slug | None = None
    note: Text | None = None
    key_points: tuple[KeyPoint, ...] = Field(default=(), max_length=6)
    follow_ups: tuple[FollowUp, ...] = Field(default=(), max_length=3)

    @field_validator("key_points")
    @classmethod
    def _three_to_six(cls, points: tuple[KeyPoint, ...]) -> tuple[KeyPoint, ...]:
        if points and len(points) < MIN_KEY_POINTS:
            raise ValueError(f"give {MIN_KEY_POINTS} to 6 key points, or none")
        return points


class Card(CardSource):
    """A card with its text rendered to HTML, ready to serve."""

    deck_id: str
    answer_html: str
    formula_html: tuple[str, ...]
    code_html: str | None
    note_html: str | None
    search_text: str


class Deck(DeckSource):
    """A deck with its cards in order."""

    subtitle_html: str
    verdict_html: str | None
    cheatsheet: RenderedCheatSheet | None = None
    cards: tuple[Card, ...]

    @cached_property
    def _index(self) -> dict[str, int]:
        return {card.id: index for index, card in enumerate(self.cards)}

    def card(self, card_id: str) -> Card | None:
        """Return the card with this id, or None."""
        index = self._index.get(card_id)
        return None if index is None else self.cards[index]

    def neighbours(self, card: Card) -> tuple[Card | None, Card | None]:
        """Return the cards before and after this one."""
        index = self._index[card.id]
        before = self.cards[index - 1] if index > 0 else None
        after = self.cards[index + 1] if index + 1 < len(self.cards) else None
        return before, after

    def topic_label(self, topic_id: str) -> str:
        """Return the label of one of the deck's topics."""
        return next(topic.label for topic in self.topics if topic.id == topic_id)


class Library(BaseModel):
    """All decks of the content folder, by id, in title order."""

    model_config = ConfigDict(frozen=True)

    decks: tuple[Deck, ...]
    warnings: tuple[str, ...] = ()  # what check-content prints without failing

    @cached_property
    def _by_id(self) -> dict[str, Deck]:
        return {deck.id: deck for deck in self.decks}

    def deck(self, deck_id: str) -> Deck | None:
        """Return the deck with this id, or None."""
        return self._by_id.get(deck_id)
