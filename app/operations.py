"""Operations: the health check, the liveness check and the Prometheus metrics."""

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import migrate
from app.deps import LibraryDep, MetricsDep, SessionDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", responses={503: {"description": "Not ready: see the body"}})
def read_health(session: SessionDep, library: LibraryDep) -> JSONResponse:
    """Report whether the database answers, is migrated to head, and the content is loaded."""
    head = migrate.head_revision()
    try:
        session.execute(text("SELECT 1"))
        revision = MigrationContext.configure(session.connection()).get_current_revision()
        database = "ok"
    except SQLAlchemyError as exc:
        revision = None
        database = f"error: {type(exc).__name__}"
    migrations = (
        "ok" if revision == head else f"at {revision}, head is {head}: run prepdeck db upgrade"
    )
    cards = sum(len(deck.cards) for deck in library.decks)
    healthy = database == "ok" and migrations == "ok" and cards > 0
    body = {
        "status": "ok" if healthy else "error",
        "database": database,
        "migrations": migrations,
        "decks": len(library.decks),
        "cards": cards,
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/livez")
async def read_liveness() -> dict[str, str]:
    """Answer at once, doing no work: the process is up (the baseline of the benchmarks)."""
    return {"status": "ok"}


@router.get("/metrics", response_class=Response)
def read_metrics(metrics: MetricsDep) -> Response:
    """Return the metrics in Prometheus text format (of every server process)."""
    # Not async: with several processes it reads and merges their files, too long to hold
    # up the event loop.
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
