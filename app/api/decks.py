"""JSON API: decks."""

from typing import Any

from fastapi import APIRouter

from app import urls
from app.api.schemas import DeckOut, DeckSummaryOut
from app.deps import DeckDep, LibraryDep

router = APIRouter(prefix=f"{urls.API}/decks", tags=["decks"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such deck"}}


@router.get("")
async def list_decks(library: LibraryDep) -> list[DeckSummaryOut]:
    """List every deck."""
    return [DeckSummaryOut.of(deck) for deck in library.decks]


@router.get("/{deck_id}", responses=NOT_FOUND)
async def read_deck(deck: DeckDep) -> DeckOut:
    """Return one deck with its topics, cheat sheet, verdict and card list."""
    return DeckOut.of_deck(deck)
