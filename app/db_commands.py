"""The database commands (db upgrade, backup, restore) and the migrated session others open."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from app import migrate
from app.backups import BackupError, backup_database, checked_copy, swap_in
from app.cli_common import NulFreePath, command_settings, shown
from app.config import Settings
from app.db import make_engine, make_sessionmaker


def bad_url(exc: Exception) -> click.ClickException:
    """Say that PREPDECK_DATABASE_URL cannot be used, and what a good one looks like."""
    return click.ClickException(
        f"PREPDECK_DATABASE_URL is not a database URL prepdeck can use ({shown(str(exc), 200)}): "
        "give sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
    )


def upgrade_database(settings: Settings) -> str | None:
    """Apply the pending migrations, or exit with a message naming the database."""
    try:
        engine = make_engine(settings)
    except (ArgumentError, ImportError) as exc:
        raise bad_url(exc) from exc
    except OSError as exc:
        is_file = settings.data_dir.exists() and not settings.data_dir.is_dir()
        raise click.ClickException(
            f"cannot create the data folder {settings.data_dir}: "
            f"{'a file has that name' if is_file else exc.strerror}. Check PREPDECK_DATA_DIR."
        ) from exc
    shown_url = engine.url.render_as_string(hide_password=True)
    try:
        migrate.upgrade(engine)
        return migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise click.ClickException(
            f"cannot migrate the database ({shown_url}): "
            f"{reason}. Check PREPDECK_DATABASE_URL and that the database is running."
        ) from exc
    except CommandError as exc:
        # Alembic's words for a revision it has no migration for: a newer prepdeck made it.
        raise click.ClickException(
            f"cannot migrate the database ({shown_url}): {shown(str(exc), 200)}. It was made by a "
            f"newer prepdeck (this one knows {', '.join(migrate.known_revisions())}): run that "
            "version, or restore a backup made by this one."
        ) from exc
    finally:
        engine.dispose()


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """Open a Session on the migrated database."""
    upgrade_database(settings)
    engine = make_engine(settings)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


@click.group()
def db() -> None:
    """Manage the database."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration."""
    revision = upgrade_database(command_settings())
    click.echo(f"database at revision {revision} (head)")


def _sqlite_file(settings: Settings, command: str) -> Path:
    """Return the SQLite database file, or explain what to use for another database."""
    try:
        url = make_url(settings.resolved_database_url)
    except ArgumentError as exc:
        raise bad_url(exc) from exc
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        tool = (
            "pg_dump --format=custom --file=BACKUP DATABASE_URL"
            if command == "backup"
            else "pg_restore --clean --dbname=DATABASE_URL BACKUP"
        )
        raise click.ClickException(
            f"{command} handles a SQLite database file only; for PostgreSQL use its own tool: "
            f"{tool}"
        )
    return Path(url.database)


@click.command()
@click.argument("path", type=NulFreePath(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH, safely while the server runs."""
    database = _sqlite_file(command_settings(), "backup")
    try:
        size = backup_database(database=database, target=path, force=force)
    except BackupError as exc:
        raise click.ClickException(shown(str(exc), 400)) from exc
    click.echo(f"backed up {database} to {path} ({size} bytes)")


@click.command()
@click.argument("path", type=NulFreePath(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the server first).

    The backup is checked and migrated on a copy first; the old database is kept beside it as
    a new *.before-restore-<time> file.
    """
    database = _sqlite_file(command_settings(), "restore")
    try:
        with checked_copy(database=database, backup=path) as copy:
            if not yes:
                click.confirm(
                    f"Replace {database} with {path} ({copy.users} users)? "
                    "Everything since the backup is lost.",
                    abort=True,
                )
            safety = swap_in(copy, database)
    except BackupError as exc:
        raise click.ClickException(shown(str(exc), 400)) from exc
    migrated = (
        f", migrated from revision {copy.migrated_from}"
        if copy.migrated_from != copy.revision
        else ""
    )
    kept = f"; the previous database is kept as {safety}" if safety else ""
    click.echo(f"restored {path} into {database} (at revision {copy.revision}{migrated}){kept}")
