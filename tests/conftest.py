"""Fixtures: a fresh temp database and data folder per test, and the app on them."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app import migrate, paths
from app.config import SQLITE_FILE, Settings, get_settings
from app.content.loader import load_library
from app.content.models import Library
from app.db import make_engine, make_sessionmaker
from app.figures.cache import one_native_thread
from app.main import create_app
from tests.postgres import PostgresDatabases, postgres_server

# One BLAS thread, as in the server's processes: the suite already runs a process per core.
one_native_thread()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    """The PostgreSQL server's databases when the suite runs on PostgreSQL, else None."""
    if os.environ.get("PREPDECK_TEST_DATABASE") != "postgresql":
        yield None
        return
    databases = PostgresDatabases(postgres_server())
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def database_template(
    tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases | None
) -> Iterator[str]:
    """A migrated database that each test's database starts as a copy of.

    A SQLite file's path, or on PostgreSQL a database's name. Copying it is several times
    quicker than running the migrations for every test.
    """
    if postgres_databases is None:
        data_dir = tmp_path_factory.mktemp("template")
        engine = make_engine(Settings(data_dir=data_dir, _env_file=None))
        migrate.upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield str(data_dir / SQLITE_FILE)
        return
    name = postgres_databases.create()
    engine = create_engine(postgres_databases.url(name))
    migrate.upgrade(engine)
    engine.dispose()  # PostgreSQL copies a template only while no one is connected to it
    yield name
    postgres_databases.drop(name)


@pytest.fixture
def settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_databases: PostgresDatabases | None,
) -> Iterator[Settings]:
    """Settings with a fresh data folder and a fresh, migrated database for one test.

    The database is a SQLite file in the data folder, or, when PREPDECK_TEST_DATABASE is
    "postgresql" (as .ci/run sets it for its second run), a new PostgreSQL database. It is a
    copy of database_template, or empty for a test marked empty_database.
    """
    data_dir = tmp_path / "data"
    empty = request.node.get_closest_marker("empty_database") is not None
    template = None if empty else request.getfixturevalue("database_template")
    if postgres_databases is None:
        if template is not None:
            data_dir.mkdir()
            shutil.copyfile(template, data_dir / SQLITE_FILE)
        yield Settings(data_dir=data_dir, warm_demos=False, fsrs_fit_worker=False, _env_file=None)
        return
    name = postgres_databases.create(template)
    try:
        yield Settings(
            data_dir=data_dir,
            database_url=postgres_databases.url(name),
            warm_demos=False,
            fsrs_fit_worker=False,
            _env_file=None,
        )
    finally:
        postgres_databases.drop_later(name)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The app on the shipped content and the test's fresh database (migrated, see settings)."""
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client that runs the app's lifespan."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped content folder."""
    target = tmp_path / "content"
    shutil.copytree(paths.CONTENT_DIR, target)
    return target


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep each test away from the caller's PREPDECK_ settings, .env file and data folder."""
    for name in list(os.environ):
        if name.startswith("PREPDECK_") and not name.startswith("PREPDECK_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """A Session on the test's fresh database (migrated, see settings)."""
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="session")
def library() -> Library:
    """The shipped content (immutable, so shared by every test)."""
    return load_library(paths.CONTENT_DIR)
