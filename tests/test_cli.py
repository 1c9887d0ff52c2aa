"""The prepdeck command, with good and bad input."""

import gc
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from app import migrate
from app.cli import main, server_app
from app.config import Settings
from tests.helpers import PASSWORD
from tests.server import running_server

CARD = "regularization/cards/03-l1-vs-l2.yaml"


@pytest.fixture
def runner() -> CliRunner:
    """A runner for the CLI."""
    return CliRunner()


def break_card(root: Path) -> None:
    """Make one card's difficulty invalid."""
    path = root / CARD
    path.write_text(
        path.read_text(encoding="utf-8").replace("difficulty: hard", "difficulty: brutal"),
        encoding="utf-8",
    )


def test_check_content_ok(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-content"])
    assert result.exit_code == 0, result.output
    assert result.output == "ok: 1 deck, 20 cards\n"


def test_check_content_path_argument(runner: CliRunner, content_copy: Path) -> None:
    result = runner.invoke(main, ["check-content", str(content_copy / "regularization")])
    assert result.exit_code == 0, result.output
    assert result.output == "ok: 1 deck, 20 cards\n"


def test_check_content_reports_problems_and_exits_1(runner: CliRunner, content_copy: Path) -> None:
    break_card(content_copy)
    result = runner.invoke(main, ["check-content", str(content_copy)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith(f"{CARD}:4: bad difficulty 'brutal': use easy, medium or hard")
    assert lines[-1] == "1 problem in the content."


def test_check_content_uses_the_content_dir_setting(
    runner: CliRunner, content_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_card(content_copy)
    monkeypatch.setenv("PREPDECK_CONTENT_DIR", str(content_copy))
    result = runner.invoke(main, ["check-content"])
    assert result.exit_code == 1
    assert "bad difficulty 'brutal'" in result.output


def test_check_content_missing_path(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check-content", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


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


def test_bad_setting_is_named(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPDECK_LOG_LEVEL", "loud")
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "invalid settings:" in result.output
    assert "PREPDECK_LOG_LEVEL: Input should be 'debug', 'info', 'warning'" in result.output


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    monkeypatch.setenv("PREPDECK_LOG_LEVEL", "WARNING")
    assert get_settings().log_level == "warning"


def test_serve_refuses_invalid_content(
    runner: CliRunner, content_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_card(content_copy)
    monkeypatch.setenv("PREPDECK_CONTENT_DIR", str(content_copy))
    result = runner.invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert f"{CARD}:4: bad difficulty 'brutal'" in result.output
    assert "1 problem in the content." in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "70000"], "70000 is not in the range 1<=x<=65535"),
        (["serve", "--workers", "0"], "0 is not in the range 1<=x<=64"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_bad_arguments(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_serve_with_two_worker_processes(tmp_path: Path) -> None:
    credentials = {"username": "ada", "password": PASSWORD}
    with running_server(tmp_path / "data", args=("--workers", "2")) as (base, _server):
        assert httpx2.get(f"{base}/healthz").json()["status"] == "ok"
        assert httpx2.post(f"{base}/api/v1/auth/register", json=credentials).status_code == 201
        token = httpx2.post(f"{base}/api/v1/auth/login", json=credentials).json()["token"]
        for _ in range(6):  # whichever process answers knows the token
            answer = httpx2.get(
                f"{base}/api/v1/study/next", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.json()["counts"] == {"new": 20, "learning": 0, "review": 0}


def test_server_app_keeps_start_up_objects_out_of_full_collections(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", warm_demos=False, _env_file=None)
    try:
        app = server_app(settings)
        assert gc.get_freeze_count() > 10_000  # modules, content, templates
        assert app.state.settings is settings
        app.state.engine.dispose()
    finally:
        gc.unfreeze()


def test_serve_migrates_and_serves_every_card(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as (base, _server):
        assert httpx2.get(f"{base}/healthz").json()["status"] == "ok"
        cards = httpx2.get(f"{base}/api/v1/decks/regularization/cards").json()["cards"]
        assert len(cards) == 20
        for card in cards:
            assert httpx2.get(base + card["url"]).status_code == 200
    engine = create_engine(f"sqlite:///{data / 'prepdeck.sqlite3'}")
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_check_content_knows_the_demos(runner: CliRunner, content_copy: Path) -> None:
    path = content_copy / CARD
    path.write_text(
        path.read_text(encoding="utf-8").replace("demo: l1-vs-l2", "demo: l1-vs-l3"),
        encoding="utf-8",
    )
    result = runner.invoke(main, ["check-content", str(content_copy)])
    assert result.exit_code == 1
    assert "unknown demo id 'l1-vs-l3': known demos are adam-vs-adamw, augmentation," in (
        result.output
    )
