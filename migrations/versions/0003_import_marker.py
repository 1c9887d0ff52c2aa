"""Add progress_imports: the marker of a running import of a user's progress.

Revision ID: 0003_import
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_import"
down_revision: str | None = "0003_input_timezones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the progress_imports table."""
    op.create_table(
        "progress_imports",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_progress_imports_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_progress_imports"),
    )


def downgrade() -> None:
    """Drop the progress_imports table."""
    op.drop_table("progress_imports")
