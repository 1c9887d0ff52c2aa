"""Dependencies shared by the HTML pages and the JSON API."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.content.models import Card, Deck, Library


def client_of(request: Request) -> str:
    """Return the client's address (its proxy's client when the proxy is trusted)."""
    return request.client.host if request.client else "unknown"


ClientDep = Annotated[str, Depends(client_of)]


async def get_library(request: Request) -> Library:
    """Return the content loaded at start."""
    library: Library = request.app.state.library
    return library


LibraryDep = Annotated[Library, Depends(get_library)]


async def get_deck(deck_id: str, library: LibraryDep) -> Deck:
    """Return the deck named in the path, or answer 404."""
    deck = library.deck(deck_id)
    if deck is None:
        known = ", ".join(deck.id for deck in library.decks)
        raise HTTPException(404, f"There is no deck '{deck_id}'. Decks: {known}.")
    return deck


DeckDep = Annotated[Deck, Depends(get_deck)]


async def get_card(card_id: str, deck: DeckDep) -> Card:
    """Return the card named in the path, or answer 404."""
    card = deck.card(card_id)
    if card is None:
        raise HTTPException(404, f"Deck '{deck.id}' has no card '{card_id}'.")
    return card


CardDep = Annotated[Card, Depends(get_card)]
