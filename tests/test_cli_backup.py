"""Backup and restore of the SQLite database, and what they say for PostgreSQL."""

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import log_config, main
from tests.helpers import PASSWORD


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on a fresh data folder with one user."""
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(main, ["user", "create", "ada", "--password", PASSWORD]).exit_code == 0
    return runner


def usernames(path: Path) -> list[str]:
    """Return the usernames stored in a database file."""
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT username FROM users ORDER BY id")]
    finally:
        connection.close()


def test_backup_and_restore(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    result = runner.invoke(main, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("backed up ")
    assert usernames(target) == ["ada"]
    runner.invoke(main, ["user", "create", "bob", "--password", PASSWORD])
    result = runner.invoke(main, ["restore", str(target)], input="n\n")
    assert result.exit_code == 1  # declined
    result = runner.invoke(main, ["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    database = tmp_path / "data" / "prepdeck.sqlite3"
    assert usernames(database) == ["ada"]
    assert usernames(database.with_name("prepdeck.sqlite3.before-restore")) == ["ada", "bob"]


def test_backup_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    target.write_text("keep me", encoding="utf-8")
    result = runner.invoke(main, ["backup", str(target)])
    assert result.exit_code == 1
    assert "exists: choose another name or add --force" in result.output
    assert target.read_text(encoding="utf-8") == "keep me"
    assert runner.invoke(main, ["backup", str(target), "--force"]).exit_code == 0


def test_restore_refuses_a_file_that_is_not_a_prepdeck_database(
    runner: CliRunner, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database at all", encoding="utf-8")
    result = runner.invoke(main, ["restore", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "is not a SQLite database" in result.output
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = runner.invoke(main, ["restore", str(other), "--yes"])
    assert "is not a prepdeck database" in result.output
    assert usernames(tmp_path / "data" / "prepdeck.sqlite3") == ["ada"]


def test_postgres_backups_use_pg_dump(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PREPDECK_DATABASE_URL", "postgresql+psycopg://u@localhost/prepdeck")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "pg_dump --format=custom" in result.output


def test_log_config_writes_the_access_log_as_json_lines() -> None:
    config = log_config("info")
    assert config["loggers"]["prepdeck.access"]["handlers"] == ["access"]
    assert config["formatters"]["json"]["format"] == "%(message)s"
