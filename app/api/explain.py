"""JSON API: check an explained answer against the card's key points."""

from typing import Any

from fastapi import APIRouter

from app import urls
from app.api.schemas import ExplainIn, ExplainOut, key_points_out
from app.deps import CardDep
from app.rehearsal.explain import explain

router = APIRouter(
    prefix=f"{urls.API}/decks/{{deck_id}}/cards/{{card_id}}/explain", tags=["explain"]
)

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such deck or card, or the card has no key points"},
    413: {"description": "The text is over 5,000 characters"},
    422: {"description": "A malformed body: the text missing, not a string, or with NUL"},
}


@router.post("", responses=RESPONSES)
async def check_explanation(card: CardDep, body: ExplainIn) -> ExplainOut:
    """Match an explained answer against the card's key points; nothing is stored.

    Each point says whether the text made it and which stretches of the text did
    (`matched_spans`, character offsets [start, end)); `coverage` is the share made and
    `suggested_rating` the grade it suggests (1 Again under half, 2 Hard under 3/4, else 3 Good).
    """
    coverage = explain(card, body.text)
    return ExplainOut(
        points=key_points_out(coverage),
        coverage=coverage.share,
        suggested_rating=coverage.suggested_rating,
    )
