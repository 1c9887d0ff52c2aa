"""Fixtures: a fresh temp database and data folder per test, and the app on them."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import paths
from app.config import Settings, get_settings
from app.main import create_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data folder (and so a fresh SQLite file) for one test."""
    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app on the shipped content and a fresh database."""
    return create_app(settings)


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
