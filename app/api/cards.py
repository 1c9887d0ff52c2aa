"""JSON API: the cards of a deck."""

from fastapi import APIRouter

from app import urls
from app.api.schemas import CardListOut, CardOut, CardSummaryOut
from app.content.queries import CardFilter, filter_cards
from app.deps import ApiDifficultyParam, CardDep, DeckDep, TextParam, TopicParam

router = APIRouter(prefix=f"{urls.API}/decks/{{deck_id}}/cards", tags=["cards"])


@router.get("", responses={404: {"description": "No such deck"}})
async def list_cards(
    deck: DeckDep,
    difficulty: ApiDifficultyParam = None,
    topic: TopicParam = None,
    q: TextParam = "",
) -> CardListOut:
    """List the deck's cards that match every filter given."""
    cards = filter_cards(deck, CardFilter.of(difficulty, topic, q))
    return CardListOut(
        deck=deck.id,
        total=len(deck.cards),
        count=len(cards),
        cards=[CardSummaryOut.of(card) for card in cards],
    )


@router.get("/{card_id}", responses={404: {"description": "No such deck or card"}})
async def read_card(deck: DeckDep, card: CardDep) -> CardOut:
    """Return one card in full."""
    return CardOut.of_card(deck, card)
