"""JSON API: the cards of a deck."""

from fastapi import APIRouter

from app.api.schemas import CardDetail, CardList, CardSummary
from app.content.queries import (
    ApiDifficultyParam,
    CardFilter,
    TextParam,
    TopicParam,
    filter_cards,
)
from app.deps import CardDep, DeckDep

router = APIRouter(prefix="/api/v1/decks/{deck_id}/cards", tags=["cards"])


@router.get("", responses={404: {"description": "No such deck"}})
async def list_cards(
    deck: DeckDep,
    difficulty: ApiDifficultyParam = None,
    topic: TopicParam = None,
    q: TextParam = "",
) -> CardList:
    """List the deck's cards that match every filter given."""
    cards = filter_cards(deck, CardFilter.of(difficulty, topic, q))
    return CardList(
        deck=deck.id,
        total=len(deck.cards),
        count=len(cards),
        cards=[CardSummary.of(card) for card in cards],
    )


@router.get("/{card_id}", responses={404: {"description": "No such deck or card"}})
async def read_card(deck: DeckDep, card: CardDep) -> CardDetail:
    """Return one card in full."""
    return CardDetail.of_card(deck, card)
