"""The db upgrade command, with good and bad databases."""

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from app import migrate
from app.cli import main
from tests.commands import assert_one_line_error


@pytest.fixture
def runner() -> CliRunner:
    """A runner for the CLI."""
    return CliRunner()


@pytest.fixture
def data_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on a fresh SQLite data folder."""
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_db_upgrade(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output == f"database at revision {migrate.head_revision()} (head)\n"
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'prepdeck.sqlite3'}")
    assert "users" in inspect(engine).get_table_names()
    engine.dispose()


def test_db_upgrade_unreachable_database(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPDECK_DATABASE_URL", "sqlite:////nonexistent-dir/sub/db.sqlite3")
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "cannot migrate the database (sqlite:////nonexistent-dir/sub/db.sqlite3)" in (
        result.output
    )
    assert "Check PREPDECK_DATABASE_URL" in result.output


def test_db_upgrade_of_a_newer_database(data_runner: CliRunner, tmp_path: Path) -> None:
    assert data_runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    database = tmp_path / "data" / "prepdeck.sqlite3"
    connection = sqlite3.connect(database)
    connection.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    connection.commit()
    connection.close()
    result = data_runner.invoke(main, ["db", "upgrade"])
    assert_one_line_error(result, "Can't locate revision identified by 'ffff9999'. It was made")
    known = ", ".join(migrate.known_revisions())
    assert f"by a newer prepdeck (this one knows {known})" in result.stderr
