"""HTML pages: the decks, one deck's card list, its cheat sheet."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import urls
from app.content.models import Difficulty
from app.content.queries import CardFilter, difficulty_counts, filter_cards, found
from app.deps import DeckDep, DifficultyParam, LibraryDep, TextParam, TopicParam
from app.web.templating import PageDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def read_home(page: PageDep, library: LibraryDep) -> HTMLResponse:
    """Show every deck."""
    decks = [(deck, difficulty_counts(deck)) for deck in library.decks]
    return page("decks/home.html", {"decks": decks, "json_url": urls.api_decks()})


@router.get("/decks/{deck_id}", response_class=HTMLResponse)
async def read_deck(
    request: Request,
    page: PageDep,
    deck: DeckDep,
    difficulty: DifficultyParam = None,
    topic: TopicParam = None,
    q: TextParam = "",
) -> HTMLResponse:
    """List a deck's cards, filtered by difficulty, topic and text."""
    card_filter = CardFilter.of(difficulty, topic, q)
    cards = [found(card, card_filter.text) for card in filter_cards(deck, card_filter)]
    return page(
        "decks/deck.html",
        {
            "deck": deck,
            "cards": cards,
            "filter": card_filter,
            "difficulties": list(Difficulty),
            "counts": difficulty_counts(deck),
            # The form sends "" for "any"; the API refuses an empty enum value, so blanks
            # are left out (with_query drops them).
            "json_url": urls.api_cards(deck.id, request.query_params.multi_items()),
        },
    )


@router.get("/decks/{deck_id}/cheatsheet", response_class=HTMLResponse)
async def read_cheatsheet(page: PageDep, deck: DeckDep) -> HTMLResponse:
    """Show the deck's one-page cheat sheet."""
    return page("decks/cheatsheet.html", {"deck": deck, "json_url": urls.api_deck(deck.id)})
