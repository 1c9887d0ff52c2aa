"""Shapes of the JSON API's answers, built from the content models."""

from typing import Any

from fastapi import Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from app.content.models import Card, Deck, Difficulty, RenderedCheatSheet, Topic


class CardSummary(BaseModel):
    """A card as listed in a deck."""

    id: str
    deck: str
    number: int
    question: str
    difficulty: Difficulty
    topics: list[str]
    demo: str | None
    url: str
    api_url: str

    @classmethod
    def of(cls, card: Card) -> "CardSummary":
        """Summarize a card."""
        return cls(
            id=card.id,
            deck=card.deck_id,
            number=card.number,
            question=card.question,
            difficulty=card.difficulty,
            topics=list(card.topics),
            demo=card.demo,
            url=f"/decks/{card.deck_id}/cards/{card.id}",
            api_url=f"/api/v1/decks/{card.deck_id}/cards/{card.id}",
        )


class CardDetail(CardSummary):
    """A card with all of its text, raw (markdown, LaTeX) and rendered (HTML, MathML)."""

    answer: str
    answer_html: str
    formula: list[str]
    formula_mathml: list[str]
    code: str | None
    code_language: str
    pros: list[str]
    cons: list[str]
    chips: list[str]
    note: str | None
    note_html: str | None
    previous: str | None
    next: str | None

    @classmethod
    def of_card(cls, deck: Deck, card: Card) -> "CardDetail":
        """Describe a card in full, with its neighbours in the deck."""
        before, after = deck.neighbours(card)
        return cls(
            **CardSummary.of(card).model_dump(),
            answer=card.answer,
            answer_html=card.answer_html,
            formula=list(card.formula),
            formula_mathml=list(card.formula_html),
            code=card.code,
            code_language=card.code_language,
            pros=list(card.pros),
            cons=list(card.cons),
            chips=list(card.chips),
            note=card.note,
            note_html=card.note_html,
            previous=before.id if before else None,
            next=after.id if after else None,
        )


_DETAILS: dict[tuple[int, int], tuple[Card, dict[str, Any]]] = {}


def card_fields(deck: Deck, card: Card) -> dict[str, Any]:
    """Return a card's CardDetail fields, validated once per loaded card (content is immutable)."""
    key = (id(deck), id(card))
    found = _DETAILS.get(key)
    if found is None or found[0] is not card:
        if len(_DETAILS) > 10_000:  # reloaded content many times over: start afresh
            _DETAILS.clear()
        found = _DETAILS[key] = (card, dict(CardDetail.of_card(deck, card)))
    return found[1]


class DeckSummary(BaseModel):
    """A deck as listed on the home page."""

    id: str
    title: str
    short_title: str | None
    tagline: str | None
    subtitle: str
    topics: list[Topic]
    card_count: int
    url: str
    api_url: str
    cards_url: str

    @classmethod
    def of(cls, deck: Deck) -> "DeckSummary":
        """Summarize a deck."""
        return cls(
            id=deck.id,
            title=deck.title,
            short_title=deck.short_title,
            tagline=deck.tagline,
            subtitle=deck.subtitle,
            topics=list(deck.topics),
            card_count=len(deck.cards),
            url=f"/decks/{deck.id}",
            api_url=f"/api/v1/decks/{deck.id}",
            cards_url=f"/api/v1/decks/{deck.id}/cards",
        )


class CheatItem(BaseModel):
    """One line of the cheat sheet, raw (LaTeX, markdown) and rendered (MathML, HTML)."""

    term: str
    text: str = Field(description="What the term means, in a few words.")
    card: str | None = Field(description="Id of the card that explains the term.")
    formula: str | None = Field(description="The one formula to remember, as LaTeX.")
    formula_mathml: str | None = Field(description="The formula as a MathML <math> element.")
    tip: str | None = Field(description="When to use it or what to watch for, as markdown.")
    tip_html: str | None = Field(description="The tip rendered to inline HTML.")


class CheatGroup(BaseModel):
    """A titled group of cheat-sheet items."""

    name: str
    items: list[CheatItem]


class CheatSheet(BaseModel):
    """A deck's one-page summary."""

    title: str
    groups: list[CheatGroup]

    @classmethod
    def of(cls, sheet: RenderedCheatSheet) -> "CheatSheet":
        """Describe a cheat sheet."""
        return cls(
            title=sheet.title,
            groups=[
                CheatGroup(
                    name=group.name,
                    items=[
                        CheatItem(
                            term=item.term,
                            text=item.text,
                            card=item.card,
                            formula=item.formula,
                            formula_mathml=item.formula_html,
                            tip=item.tip,
                            tip_html=item.tip_html,
                        )
                        for item in group.items
                    ],
                )
                for group in sheet.groups
            ],
        )


class DeckDetail(DeckSummary):
    """A deck with its cheat sheet, verdict and card list."""

    cheatsheet: CheatSheet | None
    verdict: str | None
    cards: list[CardSummary]

    @classmethod
    def of_deck(cls, deck: Deck) -> "DeckDetail":
        """Describe a deck in full."""
        return cls(
            **DeckSummary.of(deck).model_dump(),
            cheatsheet=CheatSheet.of(deck.cheatsheet) if deck.cheatsheet else None,
            verdict=deck.verdict,
            cards=[CardSummary.of(card) for card in deck.cards],
        )


class CardList(BaseModel):
    """The cards of a deck that pass the filters."""

    deck: str
    total: int
    count: int
    cards: list[CardSummary]


class ErrorOut(BaseModel):
    """What went wrong and how to mend it."""

    detail: str


class FieldError(BaseModel):
    """One wrong field: where it is (loc), what is wrong with it (msg), the kind of error."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class InvalidInput(BaseModel):
    """A request refused for the fields it names."""

    detail: list[FieldError]


# Every operation may be refused for bad input: NUL, NaN or a lone surrogate anywhere, or a body
# that is not JSON, is refused before any route reads it (app/input_checks.py).
INVALID_INPUT: dict[int | str, dict[str, Any]] = {
    422: {"model": InvalidInput, "description": "Bad input: each wrong field is named"}
}
# Documents the Bearer token for /docs and for schema-driven clients; current_user checks it
# (or the session cookie) and answers 401.
bearer = HTTPBearer(
    auto_error=False, description="A token from POST /api/v1/auth/login (or the session cookie)"
)
LOGIN_REQUIRED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Log in first"}
}
AUTHENTICATED = [Security(bearer)]
CSRF_FAILED: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "Cookie login without the X-CSRF-Token header"}
}
