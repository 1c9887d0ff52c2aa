"""Undoable study actions: the bury, suspend and unsuspend a learner did while studying.

Revision ID: 0008_study_actions
Revises: 0007_admin
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_study_actions"
down_revision: str | None = "0007_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the study_actions table."""
    op.create_table(
        "study_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("had_row", sa.Boolean(), nullable=False),
        sa.Column("suspended_before", sa.Boolean(), nullable=False),
        sa.Column("buried_until_before", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_study_actions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_study_actions"),
    )
    op.create_index("ix_study_actions_user_id_at", "study_actions", ["user_id", "at"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_study_actions_user_id_at", table_name="study_actions")
    op.drop_table("study_actions")
