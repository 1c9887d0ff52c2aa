"""Helpers for the tests of the prepdeck command."""

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.config import Settings, get_settings
from tests.helpers import PASSWORD


def assert_one_line_error(result: Result, message: str) -> None:
    """Assert that the command failed with exit 1 and one line on stderr holding message."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr, result.stderr


def runner_with_ada(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Return a CLI runner on the test's fresh database (SQLite or PostgreSQL) with one user."""
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PREPDECK_DATABASE_URL", settings.resolved_database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(main, ["user", "create", "ada", "--password", PASSWORD]).exit_code == 0
    return runner
