"""JSON API: decks."""

from typing import Any

from fastapi import APIRouter

from app.api.schemas import DeckDetail, DeckSummary
from app.deps import DeckDep, LibraryDep

router = APIRouter(prefix="/api/v1/decks", tags=["decks"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such deck"}}


@router.get("")
async def list_decks(library: LibraryDep) -> list[DeckSummary]:
    """List every deck."""
    return [DeckSummary.of(deck) for deck in library.decks]


@router.get("/{deck_id}", responses=NOT_FOUND)
async def read_deck(deck: DeckDep) -> DeckDetail:
    """Return one deck with its topics, cheat sheet, verdict and card list."""
    return DeckDetail.of_deck(deck)
