"""HTML pages: the decks, one deck's card list, its cheat sheet."""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.content.models import Difficulty
from app.content.queries import (
    CardFilter,
    DifficultyParam,
    TextParam,
    TopicParam,
    difficulty_counts,
    filter_cards,
)
from app.deps import DeckDep, LibraryDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def read_home(request: Request, library: LibraryDep) -> HTMLResponse:
    """Show every deck."""
    decks = [(deck, difficulty_counts(deck)) for deck in library.decks]
    return render(request, "home.html", {"decks": decks, "json_url": "/api/v1/decks"})


@router.get("/decks/{deck_id}", response_class=HTMLResponse)
async def read_deck(
    request: Request,
    deck: DeckDep,
    difficulty: DifficultyParam = None,
    topic: TopicParam = None,
    q: TextParam = "",
) -> HTMLResponse:
    """List a deck's cards, filtered by difficulty, topic and text."""
    card_filter = CardFilter.of(difficulty, topic, q)
    cards = filter_cards(deck, card_filter)
    return render(
        request,
        "deck.html",
        {
            "deck": deck,
            "cards": cards,
            "filter": card_filter,
            "difficulties": list(Difficulty),
            "counts": difficulty_counts(deck),
            "json_url": f"/api/v1/decks/{deck.id}/cards{_query(request)}",
        },
    )


@router.get("/decks/{deck_id}/cheatsheet", response_class=HTMLResponse)
async def read_cheatsheet(request: Request, deck: DeckDep) -> HTMLResponse:
    """Show the deck's one-page cheat sheet."""
    return render(
        request, "cheatsheet.html", {"deck": deck, "json_url": f"/api/v1/decks/{deck.id}"}
    )


def _query(request: Request) -> str:
    # The form sends "" for "any"; the API refuses an empty enum value, so blanks are left out.
    query = urlencode([(key, value) for key, value in request.query_params.multi_items() if value])
    return f"?{query}" if query else ""
