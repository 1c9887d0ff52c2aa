"""Replace stored timezones that are not IANA names a user may choose (localtime, posix/...).

Earlier versions accepted any name the OS could load, such as localtime (the server's own
zone), Factory, posix/Europe/Berlin or right/UTC. posix/ and right/ names become the IANA name
they stand for; the rest become UTC.

Revision ID: 0003_input_timezones
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from importlib.resources import files

import sqlalchemy as sa
from alembic import op

revision: str = "0003_input_timezones"
down_revision: str | None = "0003_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _valid_names() -> set[str]:
    listed = files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return set(listed) - {"Factory"}


def upgrade() -> None:
    """Map each stored timezone outside the IANA list to its IANA name, or to UTC."""
    valid = _valid_names()
    users = sa.table("users", sa.column("timezone", sa.String))
    connection = op.get_bind()
    stored = connection.execute(sa.select(users.c.timezone).distinct()).scalars().all()
    for name in stored:
        if name in valid:
            continue
        bare = name.removeprefix("posix/").removeprefix("right/")
        replacement = bare if bare in valid else "UTC"
        connection.execute(
            users.update().where(users.c.timezone == name).values(timezone=replacement)
        )


def downgrade() -> None:
    """Keep the replaced names: the old code accepts every IANA name too."""
