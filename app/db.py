"""The database engine and one Session per request."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 5_000
# As many connections as the server has worker threads (40), so no request waits for one.
POOL = {"pool_size": 10, "max_overflow": 30, "pool_timeout": 30}


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer commits; synchronous=FULL syncs the WAL on
    # every commit, so an acknowledged write survives a power cut as well as a crash.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(settings: Settings) -> Engine:
    """Create the engine for the configured database, with SQLite's pragmas set."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **POOL)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the Session factory bound to engine."""
    return sessionmaker(bind=engine, expire_on_commit=False)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """Yield a Session for one request and close it afterwards.

    An async dependency on purpose: its clean-up (handing the connection back to the pool)
    then runs on the event loop. Were it sync, the clean-up would wait for a worker thread,
    while every worker thread could be waiting for a pooled connection: a deadlock under load.
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]
