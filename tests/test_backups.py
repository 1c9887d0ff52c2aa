"""Backup and restore of the SQLite database, and what they say for PostgreSQL."""

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine

from app import migrate
from app.cli import main
from app.config import get_settings
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


def files(folder: Path) -> dict[str, bytes]:
    """Return every file in folder with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def assert_one_line_error(result: Result, message: str) -> None:
    """Assert that the command failed with exit 1 and one line on stderr holding message."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # not a traceback
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr, result.stderr


def sql(path: Path, script: str) -> None:
    """Run SQL statements on a database file."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(script)
        connection.commit()
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
    (safety,) = (tmp_path / "data").glob("prepdeck.sqlite3.before-restore-*")
    assert usernames(safety) == ["ada", "bob"]
    assert f"the previous database is kept as {safety}" in result.output


def test_backup_is_one_self_contained_file(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    assert runner.invoke(main, ["backup", str(folder / "b.sqlite3")]).exit_code == 0
    assert list(files(folder)) == ["b.sqlite3"]  # no -wal, no partial file left behind
    connection = sqlite3.connect(folder / "b.sqlite3")
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    connection.close()


def test_backup_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    target.write_text("keep me", encoding="utf-8")
    result = runner.invoke(main, ["backup", str(target)])
    assert_one_line_error(result, "exists: choose another name or add --force")
    assert target.read_text(encoding="utf-8") == "keep me"
    assert runner.invoke(main, ["backup", str(target), "--force"]).exit_code == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "/nonexistent-dir/x",
            "cannot write /nonexistent-dir/x: the folder /nonexistent-dir does not exist",
        ),
        ("{tmp}", "{tmp} is a folder: name a file in it, such as {tmp}/prepdeck.sqlite3"),
        ("{tmp}/a-file/x", "cannot write {tmp}/a-file/x: {tmp}/a-file is a file, not a folder"),
        ("/sys/backup.sqlite3", "cannot write the backup in /sys: "),  # even root may not
        ("{tmp}/data/prepdeck.sqlite3", "is the live database itself: name another file"),
        ("{tmp}/data/prepdeck.sqlite3-wal", "belongs to the live database: name another file"),
        ("{tmp}/fifo", "{tmp}/fifo is not a regular file: name another file"),
    ],
)
def test_backup_to_a_bad_place(
    runner: CliRunner, tmp_path: Path, target: str, message: str
) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    os.mkfifo(tmp_path / "fifo")
    before = files(tmp_path / "data")
    result = runner.invoke(main, ["backup", target.format(tmp=tmp_path), "--force"])
    assert_one_line_error(result, message.format(tmp=tmp_path))
    assert files(tmp_path / "data") == before
    assert (tmp_path / "fifo").is_fifo()


def test_backup_of_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b.sqlite3")])
    assert_one_line_error(result, "no database at ")
    assert "nothing to back up" in result.stderr


def test_nul_in_a_path_is_a_usage_error(runner: CliRunner) -> None:
    for command in ("backup", "restore"):
        result = runner.invoke(main, [command, "b\0.sqlite3"])
        assert result.exit_code == 2
        assert isinstance(result.exception, SystemExit)
        assert result.stderr.splitlines()[-1] == (
            "Error: Invalid value for 'PATH': 'b\\x00.sqlite3' contains a NUL character: "
            "no file name can"
        )


def make_random(path: Path) -> None:
    """Write bytes that are no database."""
    path.write_bytes(bytes(range(256)) * 64)


def make_empty(path: Path) -> None:
    """Write an empty file."""
    path.write_bytes(b"")


def make_truncated(path: Path) -> None:
    """Write the first half of a real prepdeck database."""
    data = (path.parent / "data" / "prepdeck.sqlite3").read_bytes()
    path.write_bytes(data[: len(data) // 2])


def make_foreign(path: Path) -> None:
    """Write a SQLite database of some other program."""
    sql(path, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")


def make_unknown_revision(path: Path) -> None:
    """Write a prepdeck database at a revision this prepdeck has no migration for."""
    sql(path.parent / "data" / "prepdeck.sqlite3", f"VACUUM INTO '{path}'")
    sql(path, "UPDATE alembic_version SET version_num = 'ffff9999'")


def make_damaged(path: Path) -> None:
    """Write a prepdeck database whose index no longer matches its table."""
    sql(path.parent / "data" / "prepdeck.sqlite3", f"VACUUM INTO '{path}'")
    sql(
        path,
        """
        CREATE TABLE extra (a); CREATE INDEX extra_a ON extra (a);
        INSERT INTO extra VALUES (1), (2), (3);
        PRAGMA writable_schema = ON;
        UPDATE sqlite_master SET sql = 'CREATE INDEX extra_a ON extra (a DESC)'
        WHERE name = 'extra_a';
        """,
    )


def make_nothing(path: Path) -> None:
    """Leave path missing."""


def make_folder(path: Path) -> None:
    """Make path a folder."""
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (make_nothing, "no file at {path}: give the path of a backup file"),
        (make_folder, "{path} is a folder: give the path of a backup file"),
        (make_random, "{path} is not a SQLite database (it lacks the SQLite header)"),
        (make_empty, "{path} is empty, not a SQLite database"),
        (
            make_truncated,
            "{path} is not a SQLite database, or it is damaged: database disk image is malformed",
        ),
        (
            make_foreign,
            "{path} is a SQLite database but not a prepdeck one "
            "(it has no users and alembic_version tables)",
        ),
        (
            make_unknown_revision,
            "{path} is at revision 'ffff9999', which this prepdeck does not know "
            f"(it knows {', '.join(migrate.known_revisions())}): "
            "restore it with the newer prepdeck that made it",
        ),
        (
            make_damaged,
            "{path} fails SQLite's integrity check: row 1 missing from index extra_a "
            "(and 1 more problems)",
        ),
    ],
)
def test_restore_refuses_a_bad_backup_and_leaves_the_database_alone(
    runner: CliRunner, tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "backup.sqlite3"
    make(path)
    before = files(tmp_path / "data")
    result = runner.invoke(main, ["restore", str(path), "--yes"])
    assert_one_line_error(result, message.format(path=path))
    assert files(tmp_path / "data") == before  # byte for byte, and no stray file


def test_restore_refuses_the_live_database_itself(runner: CliRunner, tmp_path: Path) -> None:
    database = tmp_path / "data" / "prepdeck.sqlite3"
    link = tmp_path / "link.sqlite3"
    link.symlink_to(database)
    before = files(tmp_path / "data")
    for path in (database, link):
        result = runner.invoke(main, ["restore", str(path), "--yes"])
        assert_one_line_error(result, f"{path} is the live database itself: give a backup file")
    assert files(tmp_path / "data") == before


def test_restore_declined_leaves_no_trace(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    runner.invoke(main, ["backup", str(target)])
    before = files(tmp_path / "data")
    result = runner.invoke(main, ["restore", str(target)], input="n\n")
    assert result.exit_code == 1
    assert "Replace " in result.output
    assert "(1 users)? Everything since the backup is lost." in result.output
    assert files(tmp_path / "data") == before


def test_restore_migrates_an_older_backup_on_a_copy(runner: CliRunner, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{old}")
    migrate.upgrade(engine, "0001")
    engine.dispose()
    sql(
        old,
        "INSERT INTO users (username, password_hash, is_admin, created_at) "
        "VALUES ('grace', 'x', 1, '2026-01-01 00:00:00');",
    )
    original = old.read_bytes()
    result = runner.invoke(main, ["restore", str(old), "--yes"])
    assert result.exit_code == 0, result.output
    assert (
        f"(at revision {migrate.known_revisions()[-1]}, migrated from revision 0001)"
        in result.output
    )
    database = tmp_path / "data" / "prepdeck.sqlite3"
    assert usernames(database) == ["grace"]
    engine = create_engine(f"sqlite:///{database}")
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
    assert old.read_bytes() == original  # the backup itself is only read


def test_two_restores_keep_both_safety_copies(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "data"
    target = tmp_path / "backup.sqlite3"
    runner.invoke(main, ["backup", str(target)])
    runner.invoke(main, ["user", "create", "bob", "--password", PASSWORD])
    assert runner.invoke(main, ["restore", str(target), "--yes"]).exit_code == 0
    runner.invoke(main, ["user", "create", "cyd", "--password", PASSWORD])
    assert runner.invoke(main, ["restore", str(target), "--yes"]).exit_code == 0
    first, second = sorted(
        data.glob("prepdeck.sqlite3.before-restore-*"), key=lambda path: path.stat().st_mtime_ns
    )
    assert usernames(first) == ["ada", "bob"]
    assert usernames(second) == ["ada", "cyd"]
    assert usernames(data / "prepdeck.sqlite3") == ["ada"]
    # Only the database and its two safety copies: no temporary file is left.
    assert sorted(files(data)) == sorted(["prepdeck.sqlite3", first.name, second.name])


def test_restore_drops_the_stale_wal_and_keeps_its_commits_in_the_safety_copy(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    database = data / "prepdeck.sqlite3"
    target = tmp_path / "backup.sqlite3"
    runner.invoke(main, ["backup", str(target)])
    # A database whose last commit is still only in its WAL, as after a crash.
    writer = sqlite3.connect(database)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(
        "INSERT INTO users (username, password_hash, is_admin, created_at) "
        "VALUES ('zed', 'x', 0, '2026-01-01 00:00:00')"
    )
    writer.commit()
    main_bytes, wal_bytes = database.read_bytes(), (data / "prepdeck.sqlite3-wal").read_bytes()
    writer.close()
    database.write_bytes(main_bytes)
    (data / "prepdeck.sqlite3-wal").write_bytes(wal_bytes)
    inode = database.stat().st_ino

    result = runner.invoke(main, ["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert not (data / "prepdeck.sqlite3-wal").exists()
    assert not (data / "prepdeck.sqlite3-shm").exists()
    assert database.stat().st_ino != inode  # a new file renamed into place, not rewritten
    assert usernames(database) == ["ada"]
    (safety,) = data.glob("prepdeck.sqlite3.before-restore-*")
    assert usernames(safety) == ["ada", "zed"]
    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()


def test_restore_brings_along_the_backups_own_wal(runner: CliRunner, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    target = copy / "prepdeck.sqlite3"
    runner.invoke(main, ["backup", str(target)])
    writer = sqlite3.connect(target)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(
        "INSERT INTO users (username, password_hash, is_admin, created_at) "
        "VALUES ('wal', 'x', 0, '2026-01-01 00:00:00')"
    )
    writer.commit()
    # Copied by hand while open: the main file and its WAL, as a file-level backup would be.
    (tmp_path / "b.sqlite3").write_bytes(target.read_bytes())
    (tmp_path / "b.sqlite3-wal").write_bytes(copy.joinpath("prepdeck.sqlite3-wal").read_bytes())
    writer.close()
    result = runner.invoke(main, ["restore", str(tmp_path / "b.sqlite3"), "--yes"])
    assert result.exit_code == 0, result.output
    assert usernames(tmp_path / "data" / "prepdeck.sqlite3") == ["ada", "wal"]


def test_restore_into_an_empty_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "first"))
    runner = CliRunner()
    runner.invoke(main, ["user", "create", "ada", "--password", PASSWORD])
    runner.invoke(main, ["backup", str(tmp_path / "b.sqlite3")])
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "second"))
    get_settings.cache_clear()
    result = runner.invoke(main, ["restore", str(tmp_path / "b.sqlite3"), "--yes"])
    assert result.exit_code == 0, result.output
    assert "kept as" not in result.output
    assert list(files(tmp_path / "second")) == ["prepdeck.sqlite3"]
    assert usernames(tmp_path / "second" / "prepdeck.sqlite3") == ["ada"]


def test_restore_keeps_the_database_files_mode(runner: CliRunner, tmp_path: Path) -> None:
    database = tmp_path / "data" / "prepdeck.sqlite3"
    runner.invoke(main, ["backup", str(tmp_path / "b.sqlite3")])
    database.chmod(0o640)
    assert runner.invoke(main, ["restore", str(tmp_path / "b.sqlite3"), "--yes"]).exit_code == 0
    assert database.stat().st_mode & 0o777 == 0o640
    assert database.stat().st_uid == os.getuid()


def test_the_installed_command_prints_one_line_not_a_traceback(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "newer.sqlite3"
    make_unknown_revision(path)
    environment = {**os.environ, "PREPDECK_DATA_DIR": str(tmp_path / "data")}
    database = (tmp_path / "data" / "prepdeck.sqlite3").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "app", "restore", str(path), "--yes"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {path} is at revision 'ffff9999', which")
    assert result.stderr.count("\n") == 1, result.stderr
    assert (tmp_path / "data" / "prepdeck.sqlite3").read_bytes() == database


def test_postgres_backups_use_pg_dump(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PREPDECK_DATABASE_URL", "postgresql+psycopg://u@localhost/prepdeck")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "x")])
    assert_one_line_error(
        result,
        "backup handles a SQLite database file only; for PostgreSQL use its own tool: "
        "pg_dump --format=custom",
    )
    backup = tmp_path / "b.sqlite3"
    backup.write_bytes(b"")
    result = CliRunner().invoke(main, ["restore", str(backup), "--yes"])
    assert_one_line_error(
        result,
        "restore handles a SQLite database file only; for PostgreSQL use its own tool: "
        "pg_restore --clean --dbname=DATABASE_URL BACKUP",
    )
