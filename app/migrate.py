"""Apply the Alembic migrations from migrations/ to the configured database."""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from app import paths


def alembic_config() -> Config:
    """Return an Alembic config for the shipped migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(paths.MIGRATIONS_DIR))
    return config


# Any fixed number: the PostgreSQL advisory lock that lets one process migrate at a time.
MIGRATION_LOCK = 7_357_001


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database of engine to revision (one process at a time on PostgreSQL)."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str | None:
    """Return the newest migration's revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> list[str]:
    """Return every revision the shipped migrations know, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it has none."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
