"""Fixtures: a fresh temp database and data folder per test, and the app on them."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import migrate, paths
from app.config import Settings, get_settings
from app.content.loader import load_library
from app.content.models import Library
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from tests.postgres import postgres_database_url


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings with a fresh data folder and a fresh database for one test.

    The database is a SQLite file in the data folder, or, when PREPDECK_TEST_DATABASE is
    "postgresql" (as .ci/run sets it for its second run), a new PostgreSQL database.
    """
    data_dir = tmp_path / "data"
    if os.environ.get("PREPDECK_TEST_DATABASE") == "postgresql":
        with postgres_database_url() as url:
            yield Settings(
                data_dir=data_dir,
                database_url=url,
                warm_demos=False,
                fsrs_fit_worker=False,
                _env_file=None,
            )
        return
    yield Settings(data_dir=data_dir, warm_demos=False, fsrs_fit_worker=False, _env_file=None)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The app on the shipped content and a fresh, migrated database."""
    app = create_app(settings)
    migrate.upgrade(app.state.engine)
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
    """A Session on a fresh, migrated database."""
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="session")
def library() -> Library:
    """The shipped content (immutable, so shared by every test)."""
    return load_library(paths.CONTENT_DIR)
