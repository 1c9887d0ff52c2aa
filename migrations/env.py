"""Alembic environment: migrate the database named by the prepdeck settings."""

from alembic import context
from sqlalchemy import Connection

from app.config import get_settings
from app.db import make_engine
from app.models import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on one connection, in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the connection given by the caller, or one made from the settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(get_settings())
    try:
        with engine.connect() as new_connection:
            run_migrations(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=get_settings().resolved_database_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
