"""HTML page of one card."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.deps import CardDep, DeckDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/decks/{deck_id}/cards/{card_id}", response_class=HTMLResponse)
def read_card(request: Request, deck: DeckDep, card: CardDep) -> HTMLResponse:
    """Show one card: question, answer behind a reveal, formula, code, pros and cons."""
    before, after = deck.neighbours(card)
    return render(
        request,
        "card.html",
        {
            "deck": deck,
            "card": card,
            "before": before,
            "after": after,
            "json_url": f"/api/v1/decks/{deck.id}/cards/{card.id}",
        },
    )
