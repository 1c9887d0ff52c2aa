"""Back up and restore the SQLite database file; a backup is checked in full before it is used."""

import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import URL, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from app import migrate
from app.exceptions import AppError

SQLITE_HEADER = b"SQLite format 3\x00"
PREPDECK_TABLES = frozenset({"alembic_version", "users"})
# Files SQLite keeps beside a database; a stale one beside a new file would be replayed into it.
COMPANIONS = ("-wal", "-shm", "-journal")


class BackupError(AppError):
    """A backup or restore that cannot be done; the message says why and what to do."""

    title = "Backup or restore not done"


@dataclass(frozen=True)
class CheckedCopy:
    """A sound copy of a backup, migrated to the newest revision, beside the live database."""

    path: Path
    revision: str
    migrated_from: str
    users: int


def _companion(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _stat(path: Path, what: str) -> os.stat_result | None:
    """Return the path's status, None when nothing is there; raise BackupError when unusable."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except ValueError as exc:  # a NUL character, which no file name can hold
        raise BackupError(f"{what} {path!r} is not a usable path: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot reach {what} {path}: {exc.strerror}") from exc


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove(path: Path) -> None:
    for suffix in ("", *COMPANIONS):
        with suppress(OSError):
            _companion(path, suffix).unlink(missing_ok=True)


def _scratch_file(folder: Path, name: str, what: str) -> Path:
    """Create an empty file in folder to write into, named after name (hidden, unique)."""
    try:
        descriptor, scratch = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(f"cannot write {what} in {folder}: {exc.strerror}") from exc
    os.close(descriptor)
    return Path(scratch)


def _problems(connection: sqlite3.Connection, shown: Path) -> None:
    """Raise BackupError unless the open database is sound and prepdeck's."""
    try:
        results = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{shown} is not a SQLite database, or it is damaged: {exc}") from exc
    if results != ["ok"]:
        more = f" (and {len(results) - 1} more problems)" if len(results) > 1 else ""
        raise BackupError(f"{shown} fails SQLite's integrity check: {results[0]}{more}")
    if not PREPDECK_TABLES.issubset(tables):
        raise BackupError(
            f"{shown} is a SQLite database but not a prepdeck one "
            "(it has no users and alembic_version tables)"
        )


def backup_database(*, database: Path, target: Path, force: bool) -> int:
    """Copy the live database to target consistently (even while it is in use); return the size."""
    if _stat(database, "the database") is None:
        raise BackupError(f"no database at {database} yet: nothing to back up")
    status = _stat(target, "the backup")
    if status is not None:
        if target.is_dir():
            raise BackupError(
                f"{target} is a folder: name a file in it, such as {target / 'prepdeck.sqlite3'}"
            )
        if os.path.samefile(target, database):
            raise BackupError(f"{target} is the live database itself: name another file")
        if not stat.S_ISREG(status.st_mode):
            raise BackupError(f"{target} is not a regular file: name another file")
        if not force:
            raise BackupError(f"{target} exists: choose another name or add --force")
    if target.resolve() in {_companion(database.resolve(), suffix) for suffix in COMPANIONS}:
        raise BackupError(f"{target} belongs to the live database: name another file")
    folder = target.parent
    if folder.exists() and not folder.is_dir():
        raise BackupError(f"cannot write {target}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise BackupError(f"cannot write {target}: the folder {folder} does not exist")
    partial = _scratch_file(folder, target.name, "the backup")
    try:
        origin = sqlite3.connect(database)
        copy = sqlite3.connect(partial)
        try:
            origin.backup(copy)
            # A self-contained file: opening the backup never needs or leaves a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            _problems(copy, database)
        finally:
            copy.close()
            origin.close()
        _fsync(partial)
        partial.replace(target)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {database}: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        _remove(partial)
    _fsync(folder)
    return target.stat().st_size


def _check_source(backup: Path, database: Path) -> None:
    """Raise BackupError unless backup is a regular file that starts like a SQLite database."""
    status = _stat(backup, "the backup")
    if status is None:
        raise BackupError(f"no file at {backup}: give the path of a backup file")
    if backup.is_dir():
        raise BackupError(f"{backup} is a folder: give the path of a backup file")
    if not backup.is_file():
        raise BackupError(f"{backup} is not a regular file: give the path of a backup file")
    if _stat(database, "the database") is not None and os.path.samefile(backup, database):
        raise BackupError(f"{backup} is the live database itself: give a backup file")
    try:
        with backup.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"cannot read {backup}: {exc.strerror}") from exc
    if not header:
        raise BackupError(f"{backup} is empty, not a SQLite database")
    if header != SQLITE_HEADER:
        raise BackupError(f"{backup} is not a SQLite database (it lacks the SQLite header)")


def _copy_with_wal(source: Path, target: Path) -> None:
    """Copy a SQLite file's bytes, and its -wal file when it has one, beside target."""
    _copy_raw(source, target)
    wal = _companion(source, "-wal")
    if wal.is_file():
        _copy_raw(wal, _companion(target, "-wal"))


def _copy_raw(source: Path, target: Path) -> None:
    """Copy bytes from source to an existing target."""
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(1 << 20):
            writer.write(chunk)


def _revision(connection: sqlite3.Connection, backup: Path) -> str:
    """Return the backup's migration revision, or raise BackupError when this prepdeck lacks it."""
    try:
        rows = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a prepdeck database: {exc}") from exc
    known = migrate.known_revisions()
    if len(rows) != 1:
        raise BackupError(
            f"{backup} records {len(rows)} migration revisions instead of one: "
            "it is not a database this prepdeck made"
        )
    (revision,) = rows
    if revision not in known:
        raise BackupError(
            f"{backup} is at revision {str(revision)[:40]!r}, which this prepdeck does not know "
            f"(it knows {', '.join(known)}): restore it with the newer prepdeck that made it"
        )
    return str(revision)


def _migrate(scratch: Path, backup: Path, revision: str) -> str:
    """Upgrade the copy at scratch to the newest revision; return that revision."""
    engine = create_engine(URL.create("sqlite", database=str(scratch)), poolclass=NullPool)
    try:
        migrate.upgrade(engine)
        return migrate.current_revision(engine) or ""
    except (SQLAlchemyError, CommandError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise BackupError(
            f"cannot migrate {backup} from revision {revision} to "
            f"{migrate.head_revision()}: {reason}"
        ) from exc
    finally:
        engine.dispose()


@contextmanager
def checked_copy(*, database: Path, backup: Path) -> Iterator[CheckedCopy]:
    """Copy backup beside database, check it and migrate it, and remove it on the way out.

    Nothing touches the live database here: every check runs on the copy.
    """
    _check_source(backup, database)
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the folder {database.parent}: {exc.strerror}") from exc
    scratch = _scratch_file(database.parent, database.name, "the restored database")
    try:
        try:
            # Commits still in the backup's own WAL belong to it: bring them along.
            _copy_with_wal(backup, scratch)
        except OSError as exc:
            raise BackupError(f"cannot copy {backup} to {database.parent}: {exc.strerror}") from exc
        try:
            connection = sqlite3.connect(scratch)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot open a copy of {backup}: {exc}") from exc
        try:
            _problems(connection, backup)
            revision = _revision(connection, backup)
        finally:
            connection.close()
        head = _migrate(scratch, backup, revision)
        connection = sqlite3.connect(scratch)
        try:
            _problems(connection, backup)
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            users = int(connection.execute("SELECT count(*) FROM users").fetchone()[0])
        finally:
            connection.close()
        for suffix in COMPANIONS:
            _companion(scratch, suffix).unlink(missing_ok=True)
        _fsync(scratch)
        yield CheckedCopy(path=scratch, revision=head, migrated_from=revision, users=users)
    finally:
        _remove(scratch)


def _safety_path(database: Path, now: datetime) -> Path:
    """Create and return a new, empty file for the live database's safety copy."""
    stem = f"{database.name}.before-restore-{now:%Y%m%dT%H%M%SZ}"
    for attempt in range(1, 1000):
        path = database.with_name(stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return path
    raise BackupError(f"too many safety copies named {stem}*: move some away")


def _keep_safety_copy(database: Path, now: datetime) -> Path:
    """Copy the live database (with what its WAL holds) to a new file that is never reused."""
    try:
        safety = _safety_path(database, now)
    except OSError as exc:
        raise BackupError(f"cannot keep a copy of {database}: {exc.strerror}") from exc
    try:
        origin = sqlite3.connect(database)
        copy = sqlite3.connect(safety)
        try:
            origin.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
            origin.close()
    except sqlite3.DatabaseError:
        # The live file is not a readable database: keep its bytes exactly as they are.
        try:
            _copy_with_wal(database, safety)
        except OSError as exc:
            raise BackupError(f"cannot keep a copy of {database}: {exc.strerror}") from exc
    _fsync(safety)
    return safety


def swap_in(copy: CheckedCopy, database: Path, now: datetime | None = None) -> Path | None:
    """Put the checked copy in the live database's place; return the safety copy of the old one.

    The swap is one rename in the same folder, so the database file is always either the old
    one or the new one, whole.
    """
    safety = None
    if database.exists():
        safety = _keep_safety_copy(database, now or datetime.now(UTC))
        # The server may run as another user than this command (root in a container).
        status = database.stat()
        with suppress(OSError):
            os.chown(copy.path, status.st_uid, status.st_gid)
        os.chmod(copy.path, stat.S_IMODE(status.st_mode))
    try:
        for suffix in COMPANIONS:
            _companion(database, suffix).unlink(missing_ok=True)
        copy.path.replace(database)
    except OSError as exc:
        raise BackupError(f"cannot replace {database}: {exc.strerror}") from exc
    _fsync(database.parent)
    return safety
