"""The export and import commands, with good and bad input."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.cli_common import shown
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


def test_export_to_a_missing_folder(db_runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "ada.json"
    result = db_runner.invoke(main, ["export", "--user", "ada", "-o", str(target)])
    # The message cuts a long path as every one-line message does.
    assert_one_line_error(result, f"cannot write {shown(str(target))}: No such file or directory")


def test_export_and_import(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["user", "create", "ada", "--password", PASSWORD])
    runner.invoke(main, ["user", "create", "bob", "--password", PASSWORD])
    review: dict[str, object] = {
        "review_id": str(uuid.uuid4()),
        "card_id": "dropout",
        "deck_id": "regularization",
        "rating": 3,
        "reviewed_at": datetime(2026, 6, 9, 12, tzinfo=UTC).isoformat(),
        "duration_ms": 3000,
        "desired_retention": 0.9,
    }
    export = {
        "format": "prepdeck-progress",
        "version": 1,
        "exported_at": datetime(2026, 6, 10, tzinfo=UTC).isoformat(),
        "username": "ada",
        "settings": {
            "desired_retention": 0.9,
            "new_per_day": 20,
            "reviews_per_day": 200,
            "timezone": "UTC",
            "day_starts_at": 4,
        },
        "cards": [],
        "reviews": [review],
    }
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    result = runner.invoke(main, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == "imported into 'ada': 1 new reviews, 1 cards rebuilt\n"
    result = runner.invoke(main, ["import", str(path)])
    assert "0 new reviews" in result.output
    result = runner.invoke(main, ["import", str(path), "--user", "bob"])
    assert "imported into 'bob': 1 new reviews" in result.output
    out = tmp_path / "out.json"
    result = runner.invoke(main, ["export", "--user", "ada", "-o", str(out)])
    assert result.exit_code == 0
    (written,) = json.loads(out.read_text(encoding="utf-8"))["reviews"]
    assert datetime.fromisoformat(written.pop("reviewed_at")) == datetime.fromisoformat(
        str(review.pop("reviewed_at"))
    )
    assert written == review | {"scheduler": None}  # a version 1 review: legacy rules
    result = runner.invoke(main, ["export", "--user", "ada", "--format", "csv"])
    assert result.output.splitlines()[1].startswith(written["review_id"])


def test_import_bad_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "prepdeck-progress", "version": 5}', encoding="utf-8")
    result = runner.invoke(main, ["import", str(path)])
    assert result.exit_code == 1
    assert "is not a prepdeck progress export" in result.output
    assert "version: Input should be 1, 2, 3 or 4" in result.output
    path.write_text("not json", encoding="utf-8")
    result = runner.invoke(main, ["import", str(path)])
    assert result.exit_code == 1
    assert "Invalid JSON" in result.output
    result = runner.invoke(main, ["import", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
