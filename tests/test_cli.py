"""The prepdeck command as a whole: argument errors, settings, unexpected errors, database URLs."""

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

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


def test_bad_setting_is_named(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPDECK_LOG_LEVEL", "loud")
    result = runner.invoke(main, ["db", "upgrade"])
    assert_one_line_error(
        result, "invalid settings: PREPDECK_LOG_LEVEL: Input should be 'debug', 'info', 'warning'"
    )


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    monkeypatch.setenv("PREPDECK_LOG_LEVEL", "WARNING")
    assert get_settings().log_level == "warning"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "70000"], "70000 is not in the range 1<=x<=65535"),
        (["serve", "--workers", "0"], "0 is not in the range 1<=x<=64"),
        (["serve", "--port", "99999"], "99999 is not in the range 1<=x<=65535"),
        (["serve", "--port", "http"], "'http' is not a valid integer"),
        (["serve", "--workers", "-1"], "-1 is not in the range 1<=x<=64"),
        (["serve", "--workers", str(10**30)], f"{10**30} is not in the range 1<=x<=64"),
        (["check-content", "a\0b"], "'a\\x00b' contains a NUL character: no file name can"),
        (["export", "--user", "ada", "-o", "a\0b"], "contains a NUL character"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_bad_arguments(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert message in result.stderr.splitlines()[-1]


def test_data_dir_that_is_a_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").write_text("", encoding="utf-8")
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    for args in (["db", "upgrade"], ["user", "list"]):
        result = runner.invoke(main, args)
        folder = tmp_path / "data"
        assert_one_line_error(
            result, f"cannot create the data folder {folder}: a file has that name. Check"
        )


@pytest.fixture
def broken_runner(data_runner: CliRunner, tmp_path: Path) -> CliRunner:
    """A runner on a database whose users table lost a column behind the migrations' back."""
    assert data_runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    connection = sqlite3.connect(tmp_path / "data" / "prepdeck.sqlite3")
    connection.execute("ALTER TABLE users DROP COLUMN is_admin")
    connection.close()
    return data_runner


def test_unexpected_error_is_one_line(broken_runner: CliRunner) -> None:
    result = broken_runner.invoke(main, ["user", "list"])
    assert_one_line_error(
        result,
        "Error: unexpected OperationalError: (sqlite3.OperationalError) no such column: "
        "users.is_admin (add --debug, as in `prepdeck --debug COMMAND`, to see the traceback)",
    )


def test_unexpected_error_traceback_with_debug(
    broken_runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    result = broken_runner.invoke(main, ["--debug", "user", "list"])
    assert isinstance(result.exception, OperationalError)
    monkeypatch.setenv("PREPDECK_LOG_LEVEL", "DEBUG")
    result = broken_runner.invoke(main, ["user", "list"])
    assert isinstance(result.exception, OperationalError)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nonsense", "Could not parse SQLAlchemy URL from given URL string"),
        ("mysql://u@localhost/prepdeck", "No module named 'MySQLdb'"),
        ("nosuchdb://u@localhost/prepdeck", "Can't load plugin: sqlalchemy.dialects:nosuchdb"),
    ],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["user", "list"], ["backup", "b.sqlite3"]])
def test_unusable_database_url(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, url: str, reason: str, command: list[str]
) -> None:
    monkeypatch.setenv("PREPDECK_DATABASE_URL", url)
    result = runner.invoke(main, command)
    if command[0] == "backup" and url != "nonsense":
        assert_one_line_error(result, "backup handles a SQLite database file only")
    else:
        assert_one_line_error(
            result, f"PREPDECK_DATABASE_URL is not a database URL prepdeck can use ({reason}"
        )
        assert "give sqlite:///PATH or postgresql+psycopg://" in result.stderr
