"""JSON API: decks."""

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from app import urls
from app.api.schemas import DeckOut, DeckSummaryOut
from app.content.anki import MEDIA_TYPE, PACKAGES, FigureSource
from app.deps import DeckDep, DemoCacheDep, LibraryDep
from app.figures.cache import RenderCache
from app.figures.registry import demos

router = APIRouter(prefix=f"{urls.API}/decks", tags=["decks"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such deck"}}
log = logging.getLogger(__name__)


@router.get("")
async def list_decks(library: LibraryDep) -> list[DeckSummaryOut]:
    """List every deck."""
    return [DeckSummaryOut.of(deck) for deck in library.decks]


@router.get("/{deck_id}", responses=NOT_FOUND)
async def read_deck(deck: DeckDep) -> DeckOut:
    """Return one deck with its topics, cheat sheet, verdict and card list."""
    return DeckOut.of_deck(deck)


def light_figures(cache: RenderCache) -> FigureSource:
    """Return the source of demo figures for a package: default parameters, light theme."""

    def figure(demo_id: str) -> tuple[bytes, str] | None:
        demo = demos().get(demo_id)
        if demo is None:
            return None
        try:
            rendered = cache.render(demo, demo.params(), "png", "light")
        except Exception:  # a package without one figure beats no package
            log.exception("could not draw demo %s for an Anki package", demo_id)
            return None
        return rendered.body, rendered.alt

    return figure


# A plain function: building a package (and drawing figures not drawn yet) runs in a worker
# thread, never on the event loop. response_class=Response keeps the errors documented as JSON.
@router.get(
    "/{deck_id}/export.apkg",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {
            "description": "The deck as an Anki package, one note per card",
            "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
def export_apkg(deck: DeckDep, cache: DemoCacheDep) -> Response:
    """Download the deck as an Anki package (.apkg); importing it again updates its notes."""
    package = PACKAGES.package(deck, light_figures(cache))
    return Response(package.body, media_type=MEDIA_TYPE, headers=package.headers)
