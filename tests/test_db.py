"""The database: migrations, SQLite pragmas, the schema matching the models."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from app import migrate
from app.config import Settings
from app.db import make_engine
from app.models import Base, User
from tests.postgres import postgres_database_url

pytestmark = pytest.mark.empty_database  # these tests run the migrations themselves


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Engine]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database when one is reachable."""
    if request.param == "sqlite":
        engine = make_engine(settings)
        yield engine
        engine.dispose()
        return
    with postgres_database_url() as url:
        engine = make_engine(Settings(database_url=url, _env_file=None))
        yield engine
        engine.dispose()


def test_migrations_upgrade_an_empty_database(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert "users" in inspect(engine).get_table_names()


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_migrations_match_the_models(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_datetimes_come_back_aware_in_utc(engine: Engine) -> None:
    migrate.upgrade(engine)
    created = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with Session(engine) as session:
        session.add(User(username="ada", password_hash="x", created_at=created))
        session.commit()
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
    assert user.created_at == created
    assert user.created_at.tzinfo is UTC


def test_naive_datetimes_are_refused(settings: Settings) -> None:
    from sqlalchemy.exc import StatementError

    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        with Session(engine) as session:
            session.add(User(username="ada", password_hash="x", created_at=datetime(2026, 1, 1)))
            with pytest.raises(StatementError, match="naive datetime"):
                session.commit()
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    finally:
        engine.dispose()
    assert (settings.data_dir / "prepdeck.sqlite3").is_file()


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    path = (settings.data_dir / "prepdeck.sqlite3").resolve()
    assert settings.resolved_database_url == f"sqlite:///{path}"
    explicit = Settings(database_url="sqlite:///elsewhere.db", _env_file=None)
    assert explicit.resolved_database_url == "sqlite:///elsewhere.db"


def test_each_test_gets_a_fresh_database(settings: Settings) -> None:
    # The settings fixture makes a new database, so no earlier test's rows are seen.
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        with Session(engine) as session:
            assert session.scalars(select(User)).all() == []
    finally:
        engine.dispose()


def test_sqlite_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    import threading

    engine = make_engine(Settings(data_dir=tmp_path / "data", _env_file=None))
    migrate.upgrade(engine)
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for step in range(15):
                with Session(engine) as session:
                    session.add(User(username=f"u{index}-{step}", password_hash="x"))
                    session.commit()
        except BaseException as exc:  # any failure fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # A write left uncommitted and abandoned must not keep others out.
    abandoned = Session(engine)
    abandoned.add(User(username="abandoned", password_hash="x"))
    abandoned.flush()
    abandoned.close()
    with Session(engine) as session:
        session.add(User(username="after", password_hash="x"))
        session.commit()
        assert session.scalar(select(func.count()).select_from(User)) == 16 * 15 + 1
    engine.dispose()
    assert errors == []
