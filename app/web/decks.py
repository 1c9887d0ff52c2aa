"""HTML pages: the decks, one deck's card list, its cheat sheet."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from app import urls
from app.content.models import Difficulty, Library
from app.content.queries import CardFilter, difficulty_counts, filter_cards, found
from app.deps import DeckDep, DifficultyParam, LibraryDep, TextParam, TopicParam
from app.models import User, utcnow
from app.study.due_counts import DueCounts, due_counts
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)


async def counts_for(
    request: Request, page: Page, library: Library, deck_ids: list[str]
) -> dict[str, DueCounts]:
    """Return the logged-in user's counts of the decks, or none for a guest."""
    user = page.user()
    if user is None:
        return {}
    return await run_in_threadpool(_counts, request, user, library, deck_ids)


def _counts(
    request: Request, user: User, library: Library, deck_ids: list[str]
) -> dict[str, DueCounts]:
    with request.app.state.sessionmaker() as session:
        return due_counts(
            session=session, user=user, library=library, now=utcnow(), deck_ids=deck_ids
        )


@router.get("/", response_class=HTMLResponse)
async def read_home(request: Request, page: PageDep, library: LibraryDep) -> HTMLResponse:
    """Show every deck; a logged-in user sees what each has due today."""
    decks = [(deck, difficulty_counts(deck)) for deck in library.decks]
    due = await counts_for(request, page, library, [deck.id for deck in library.decks])
    return page("decks/home.html", {"decks": decks, "due": due, "json_url": urls.api_decks()})


@router.get("/decks/{deck_id}", response_class=HTMLResponse)
async def read_deck(
    request: Request,
    page: PageDep,
    deck: DeckDep,
    library: LibraryDep,
    difficulty: DifficultyParam = None,
    topic: TopicParam = None,
    q: TextParam = "",
) -> HTMLResponse:
    """List a deck's cards, filtered by difficulty, topic and text; a logged-in user sees what
    the deck has due today."""
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
            "due": (await counts_for(request, page, library, [deck.id])).get(deck.id),
            # The form sends "" for "any"; the API refuses an empty enum value, so blanks
            # are left out (with_query drops them).
            "json_url": urls.api_cards(deck.id, request.query_params.multi_items()),
        },
    )


@router.get("/decks/{deck_id}/cheatsheet", response_class=HTMLResponse)
async def read_cheatsheet(page: PageDep, deck: DeckDep) -> HTMLResponse:
    """Show the deck's one-page cheat sheet."""
    return page("decks/cheatsheet.html", {"deck": deck, "json_url": urls.api_deck(deck.id)})
