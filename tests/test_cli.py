"""The prepdeck command, with good and bad input."""

import gc
import socket
import sqlite3
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect

from app import migrate
from app.cli import main, server_app
from app.config import Settings, get_settings
from tests.content.test_yaml_source import BILLION_LAUGHS
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
    assert_one_line_error(
        result, "invalid settings: PREPDECK_LOG_LEVEL: Input should be 'debug', 'info', 'warning'"
    )


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


def assert_one_line_error(result: Result, message: str) -> None:
    """Assert that the command failed with exit 1 and one line on stderr holding message."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr, result.stderr


@pytest.fixture
def data_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on a fresh SQLite data folder."""
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


@pytest.fixture
def db_runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on the test's fresh database (SQLite or PostgreSQL) with one user."""
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PREPDECK_DATABASE_URL", settings.resolved_database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(main, ["user", "create", "ada", "--password", PASSWORD]).exit_code == 0
    return runner


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


def test_export_to_a_missing_folder(db_runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "ada.json"
    result = db_runner.invoke(main, ["export", "--user", "ada", "-o", str(target)])
    assert_one_line_error(result, f"cannot write {target}: No such file or directory")


def test_serve_on_a_port_in_use(data_runner: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = data_runner.invoke(main, ["serve", "--port", str(port)])
    assert_one_line_error(
        result, f"cannot listen on 127.0.0.1 port {port}: Address already in use. Check --host"
    )


def test_serve_on_an_address_of_another_machine(data_runner: CliRunner) -> None:
    result = data_runner.invoke(main, ["serve", "--host", "192.0.2.1", "--port", "8000"])
    assert_one_line_error(
        result, "cannot listen on 192.0.2.1 port 8000: Cannot assign requested address."
    )


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


@pytest.mark.parametrize("command", ["check-content", "serve"])
def test_an_alias_bomb_is_refused_by_check_content_and_serve(
    runner: CliRunner, content_copy: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (content_copy / CARD).write_text(BILLION_LAUGHS, encoding="utf-8")
    monkeypatch.setenv("PREPDECK_CONTENT_DIR", str(content_copy))
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(content_copy.parent / "data"))
    result = runner.invoke(main, [command])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"content/{CARD}:2: YAML error: aliases (*a) are not allowed in decks: write the value out",
        "1 problem in the content.",
    ]
