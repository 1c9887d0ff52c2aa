"""Health check for load balancers and container engines."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import SessionDep
from app.deps import LibraryDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", responses={503: {"description": "The database is unreachable"}})
def read_health(session: SessionDep, library: LibraryDep) -> JSONResponse:
    """Report whether the database answers and the content is loaded."""
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        database = f"error: {type(exc).__name__}"
    body = {
        "status": "ok" if database == "ok" else "error",
        "database": database,
        "decks": len(library.decks),
        "cards": sum(len(deck.cards) for deck in library.decks),
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)
