"""The database engine and its Session factory."""

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 5_000
# As many connections as the server has worker threads (40), so no request waits for one.
CONNECTIONS = 40
POOL = {"pool_size": 10, "max_overflow": CONNECTIONS - 10, "pool_timeout": 30}
SQLITE_POOL = {"pool_size": CONNECTIONS, "max_overflow": 0}
# At most this many requests hold a Session at once; the other connections are for the work
# outside them (the group committer, the fit worker, a page header's own lookup). A request's
# Session takes its connection on the event loop (its login lookup) and gives it back there,
# so were every connection held by requests, the loop would wait for one that only the loop
# can give back: every request would stall until the pool's timeout.
REQUEST_SESSIONS = CONNECTIONS - 4


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer commits; synchronous=FULL syncs the WAL on
    # every commit, so an acknowledged write survives a power cut as well as a crash.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")


def _serialize_sqlite_writes(engine: Engine) -> None:
    """Let one transaction of this process write at a time, in line, not by SQLite's busy wait.

    SQLite has one writer; when several threads want to write, the losers sleep in SQLite's
    busy handler with growing back-off (up to 100 ms a nap), which makes the slowest requests
    very slow. A lock taken at a transaction's first write and released at its end queues them
    instead. Other processes on the same file still meet SQLite's busy timeout.
    """
    lock = threading.Lock()

    def before_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not conn.info.get("writing") and statement.lstrip()[:15].upper().startswith(_WRITES):
            lock.acquire()
            conn.info["writing"] = True

    def release(conn: Any) -> None:
        if conn.info.pop("writing", False):
            lock.release()

    def release_on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A connection going back to the pool never keeps the lock, however it ended.
        if record.info.pop("writing", False):
            lock.release()

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", release)
    event.listen(engine, "rollback", release)
    event.listen(engine.pool, "checkin", release_on_checkin)


# PostgreSQL ends one of two transactions that wait for each other (deadlock_detected) or
# that no serial order reconciles (serialization_failure); run again, it meets no such thing.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def transient(error: BaseException) -> bool:
    """Return whether error ended a transaction that may simply be run again."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return isinstance(error, DBAPIError) and sqlstate in TRANSIENT_SQLSTATES


def begin_writing(session: Session) -> None:
    """Start the session's transaction as a writer, if none is under way.

    On SQLite this is BEGIN IMMEDIATE: the transaction holds the write lock from its first
    read, so what it reads cannot change before it writes, and its SAVEPOINTs nest inside it
    (outside a transaction, releasing a savepoint would commit). PostgreSQL needs nothing.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(settings: Settings) -> Engine:
    """Create the engine for the configured database, with SQLite's pragmas set."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        # All 40 kept open: a SQLite connection costs a file handle, while opening one for a
        # request (overflow) costs its pragmas and a WAL lock round on every request.
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, **(POOL | SQLITE_POOL)
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        _serialize_sqlite_writes(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the Session factory bound to engine."""
    return sessionmaker(bind=engine, expire_on_commit=False)
