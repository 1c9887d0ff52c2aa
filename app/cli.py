"""The prepdeck command: serve, check-content, db upgrade, user, export, import."""

import gc
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app import migrate
from app.accounts.service import AccountError, create_user, get_user, set_password
from app.config import Settings, get_settings
from app.content.loader import ContentError, load_library
from app.content.models import Library
from app.db import make_engine, make_sessionmaker
from app.demos.registry import demo_ids
from app.models import User, utcnow
from app.study.reviews import StudyError
from app.study.transfer import (
    InvalidImport,
    NotAnExport,
    export_progress,
    import_progress,
    parse_export,
    reviews_csv,
)

if TYPE_CHECKING:
    from fastapi import FastAPI


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [
            f"  PREPDECK_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors(include_url=False)
        ]
        raise click.ClickException("invalid settings:\n" + "\n".join(lines)) from exc


def _load(path: Path) -> Library:
    """Load the content, or print every problem and exit 1."""
    try:
        return load_library(path, demo_ids=demo_ids())
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in the content.", err=True)
        sys.exit(1)


def _upgrade(settings: Settings) -> str | None:
    """Apply the pending migrations, or exit with a message naming the database."""
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        return migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise click.ClickException(
            f"cannot migrate the database ({engine.url.render_as_string(hide_password=True)}): "
            f"{reason}. Check PREPDECK_DATABASE_URL and that the database is running."
        ) from exc
    finally:
        engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prepdeck")
def main() -> None:
    """prepdeck: interview-prep decks with spaced repetition."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
def serve(host: str, port: int, workers: int) -> None:
    """Apply migrations, load and check the content, and serve the app."""
    import uvicorn

    settings = _settings()
    _load(settings.content_dir)
    _upgrade(settings)
    click.echo(f"prepdeck on http://{host}:{port} (database migrated, content checked)")
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": log_config(settings.log_level),
        "access_log": False,  # the app writes its own JSON access log
        "server_header": False,
        "timeout_graceful_shutdown": 30,  # on SIGTERM, finish the requests in flight
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }
    if workers == 1:
        uvicorn.run(server_app(settings), **options)
    else:
        uvicorn.run("app.cli:server_app", factory=True, workers=workers, **options)


def server_app(settings: Settings | None = None) -> "FastAPI":
    """Build the app for a long-running server process.

    Everything loaded so far (libraries, content, templates) lives as long as the process, so
    it is moved out of the garbage collector's sight (gc.freeze): otherwise each full
    collection walks all of it, a pause of tens of ms that lands on whatever requests are in
    flight.
    """
    from app.main import create_app

    app = create_app(settings)
    gc.collect()
    gc.freeze()
    return app


def log_config(level: str) -> dict[str, Any]:
    """Return the logging set-up: plain lines for messages, JSON lines for the access log."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"format": "%(message)s"},
        },
        "handlers": {
            "plain": {"class": "logging.StreamHandler", "formatter": "plain"},
            "access": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["plain"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "app": {"handlers": ["plain"], "level": level.upper(), "propagate": False},
            "prepdeck.access": {"handlers": ["access"], "level": level.upper(), "propagate": False},
        },
    }


@main.command("check-content")
@click.argument(
    "path", required=False, type=click.Path(path_type=Path, file_okay=False, exists=True)
)
def check_content(path: Path | None) -> None:
    """Check the decks in PATH (default: the configured content folder).

    Print one file:line: message per problem and exit 1 when there is any.
    """
    library = _load(path if path is not None else _settings().content_dir)
    cards = sum(len(deck.cards) for deck in library.decks)
    decks = len(library.decks)
    click.echo(f"ok: {decks} deck{'s' if decks != 1 else ''}, {cards} cards")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """Open a Session on the migrated database."""
    _upgrade(settings)
    engine = make_engine(settings)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _user(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise click.ClickException(f"no user '{username}': see `prepdeck user list`")
    return user


def _password(value: str | None) -> str:
    if value is not None:
        return value
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@main.group("user")
def user_group() -> None:
    """Manage users."""


@user_group.command("create")
@click.argument("username")
@click.option("--password", help="The password (asked for when left out).")
@click.option("--admin/--no-admin", default=None, help="Make an admin (default: the first user).")
def user_create(username: str, password: str | None, admin: bool | None) -> None:
    """Create a user."""
    with _session(_settings()) as session:
        try:
            user = create_user(
                session=session, username=username, password=_password(password), is_admin=admin
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        role = "admin" if user.is_admin else "user"
        click.echo(f"created {role} '{user.username}'")


@user_group.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password (asked for when left out).")
def user_set_password(username: str, password: str | None) -> None:
    """Set a user's password and end their sessions."""
    with _session(_settings()) as session:
        user = _user(session, username)
        try:
            set_password(session=session, user=user, password=_password(password))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"password of '{user.username}' changed; their sessions are ended")


@user_group.command("list")
def user_list() -> None:
    """List the users."""
    with _session(_settings()) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        if not users:
            click.echo("no users yet: `prepdeck user create NAME`")
        for user in users:
            role = "admin" if user.is_admin else "user"
            click.echo(f"{user.username}\t{role}\tcreated {user.created_at:%Y-%m-%d}")


@main.command("export")
@click.option("--user", "username", required=True, help="Whose progress to export.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File.")
def export_command(username: str, fmt: str, output: Path | None) -> None:
    """Export a user's progress (JSON) or review log (CSV) to a file or standard output."""
    with _session(_settings()) as session:
        export = export_progress(session=session, user=_user(session, username), now=utcnow())
    text = export.model_dump_json(indent=2) + "\n" if fmt == "json" else reviews_csv(export)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(export.reviews)} reviews to {output}", err=True)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", help="Into whose account (default: the file's username).")
def import_command(file: Path, username: str | None) -> None:
    """Merge an exported progress file into a user's progress (twice adds nothing twice)."""
    try:
        data = parse_export(file.read_bytes())
    except OSError as exc:
        raise click.ClickException(f"{file}: cannot read it: {exc.strerror}") from exc
    except NotAnExport as exc:
        lines = [
            f"{file} is {line}"
            if line.startswith("not a prepdeck")
            else f"{file} is not a prepdeck progress export: {line}"
            for line in exc.lines()
        ]
        raise click.ClickException("\n".join(lines)) from exc
    settings = _settings()
    library = _load(settings.content_dir)
    with _session(settings) as session:
        user = _user(session, username or data.username)
        try:
            added, rebuilt = import_progress(
                session=session, user=user, data=data, now=utcnow(), library=library
            )
        except InvalidImport as exc:
            raise click.ClickException(_lines(file, exc.lines())) from exc
        except StudyError as exc:
            raise click.ClickException(f"{file}: {exc}") from exc
    click.echo(f"imported into '{user.username}': {added} new reviews, {rebuilt} cards rebuilt")


def _lines(file: Path, lines: list[str]) -> str:
    """Return one 'FILE: location: message' line per problem."""
    return "\n".join(f"{file}: {line}" for line in lines)


def _sqlite_file(settings: Settings) -> Path:
    """Return the SQLite database file, or explain what to use for another database."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(
            "backup and restore handle a SQLite file; for PostgreSQL use its own tools: "
            "pg_dump --format=custom --file=BACKUP DATABASE_URL, and pg_restore --clean "
            "--dbname=DATABASE_URL BACKUP"
        )
    return Path(url.database)


def _check_sqlite(path: Path) -> None:
    """Raise ClickException unless path is a sound prepdeck SQLite database."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (result,) = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{path} is not a SQLite database: {exc}") from exc
    if result != "ok":
        raise click.ClickException(f"{path} fails its integrity check: {result}")
    if not {"alembic_version", "users"} <= tables:
        raise click.ClickException(f"{path} is not a prepdeck database (no users table)")


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database with its online backup API (consistent while in use)."""
    origin = sqlite3.connect(source)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH, safely while the server runs."""
    settings = _settings()
    database = _sqlite_file(settings)
    if not database.is_file():
        raise click.ClickException(f"no database at {database} yet: nothing to back up")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists: choose another name or add --force")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    _copy_sqlite(database, partial)
    _check_sqlite(partial)
    partial.replace(path)
    click.echo(f"backed up {database} to {path} ({path.stat().st_size} bytes)")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the server first)."""
    settings = _settings()
    database = _sqlite_file(settings)
    _check_sqlite(path)
    if not yes:
        click.confirm(
            f"Replace {database} with {path}? Everything since the backup is lost.", abort=True
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    if database.is_file():
        shutil.copy2(database, database.with_name(database.name + ".before-restore"))
    _copy_sqlite(path, database)
    revision = _upgrade(settings)
    click.echo(f"restored {path} into {database} (at revision {revision})")


@main.group()
def db() -> None:
    """Manage the database."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration."""
    revision = _upgrade(_settings())
    click.echo(f"database at revision {revision} (head)")
