"""Assets made by the app itself: the code-highlighting CSS of both themes."""

from functools import cache

from fastapi import APIRouter
from fastapi.responses import Response

from app.content.markup import pygments_css

router = APIRouter(include_in_schema=False)


@cache
def _highlight_css() -> bytes:
    return pygments_css().encode()


@router.get("/assets/highlight.css")
async def read_highlight_css() -> Response:
    """Serve the Pygments CSS; the URL carries its hash, so it may be cached for a year."""
    return Response(
        _highlight_css(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
