"""The user commands, with good and bad input."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import Settings
from tests.commands import assert_one_line_error, runner_with_ada
from tests.helpers import PASSWORD


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on a fresh data folder."""
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


@pytest.fixture
def db_runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on the test's fresh database (SQLite or PostgreSQL) with one user."""
    return runner_with_ada(settings, monkeypatch)


@pytest.mark.parametrize(
    ("username", "shown"),
    [
        ("", "''"),
        ("a\0b", "'a\\x00b'"),
        ("ada\0", "'ada\\x00'"),
        ("\n", "'\\n'"),
        ("ada\x1b[31m", "'ada\\x1b[31m'"),
        ("x" * 10_000, "'" + "x" * 80 + "...'"),
    ],
    ids=["empty", "nul", "trailing-nul", "newline", "escape", "10k"],
)
@pytest.mark.parametrize("command", [["user", "set-password"], ["export", "--user"]])
def test_unknown_or_impossible_username(
    db_runner: CliRunner, username: str, shown: str, command: list[str]
) -> None:
    args = [*command, username] + (["--password", PASSWORD] if command[0] == "user" else [])
    result = db_runner.invoke(main, args)
    assert_one_line_error(result, f"Error: no user {shown}: see `prepdeck user list`")


@pytest.mark.parametrize(
    "username", ["", "a\0b", "x" * 10_000, "  "], ids=["empty", "nul", "10k", "blank"]
)
def test_user_create_with_an_impossible_name(db_runner: CliRunner, username: str) -> None:
    result = db_runner.invoke(main, ["user", "create", username, "--password", PASSWORD])
    assert_one_line_error(result, "A username has 3 to 32 characters")


def test_user_create_list_set_password(runner: CliRunner) -> None:
    result = runner.invoke(main, ["user", "create", "Ada", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert result.output == "created admin 'ada'\n"
    result = runner.invoke(main, ["user", "create", "bob"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created user 'bob'" in result.output
    result = runner.invoke(main, ["user", "list"])
    assert [line.split("\t")[:2] for line in result.output.splitlines()] == [
        ["ada", "admin"],
        ["bob", "user"],
    ]
    result = runner.invoke(main, ["user", "set-password", "bob", "--password", "quiet ferry lamp"])
    assert result.exit_code == 0
    assert "password of 'bob' changed" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "create", "a", "--password", PASSWORD], "A username has 3 to 32 characters"),
        (["user", "create", "ada", "--password", "short"], "at least 8 characters"),
        (["user", "create", "ada", "--password", "password"], "This is a top-10 common password"),
        (["user", "create", "ada", "--password", "ada12345"], "It contains the username."),
        (["user", "set-password", "nobody", "--password", PASSWORD], "no user 'nobody'"),
        (["export", "--user", "nobody"], "no user 'nobody'"),
        (["export"], "Missing option '--user'"),
    ],
)
def test_user_commands_bad_input(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code in (1, 2)
    assert message in result.output


def test_set_password_refuses_a_guessable_password(runner: CliRunner) -> None:
    runner.invoke(main, ["user", "create", "ada", "--password", PASSWORD])
    result = runner.invoke(main, ["user", "set-password", "ada", "--password", "12345678"])
    assert result.exit_code == 1
    assert "This password is too easy to guess: This is a top-10 common password." in result.output


def test_taken_username(runner: CliRunner) -> None:
    runner.invoke(main, ["user", "create", "ada", "--password", PASSWORD])
    result = runner.invoke(main, ["user", "create", "ADA", "--password", PASSWORD])
    assert result.exit_code == 1
    assert "The username 'ada' is taken." in result.output


def test_user_list_when_empty(runner: CliRunner) -> None:
    result = runner.invoke(main, ["user", "list"])
    assert result.output == "no users yet: `prepdeck user create NAME`\n"
