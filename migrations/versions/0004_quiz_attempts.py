"""Add quiz_attempts: a learner's answers to the demos' questions, kept like their reviews.

Revision ID: 0004_quiz_attempts
Revises: 0003_import
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_quiz_attempts"
down_revision: str | None = "0003_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the quiz_attempts table and its indexes."""
    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(length=36), nullable=False),
        sa.Column("card_id", sa.String(length=80), nullable=False),
        sa.Column("demo_id", sa.String(length=80), nullable=False),
        sa.Column("kind_id", sa.String(length=80), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=40), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_quiz_attempts_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quiz_attempts"),
        sa.UniqueConstraint("user_id", "attempt_id", name="uq_quiz_attempts_user_id_attempt_id"),
    )
    op.create_index("ix_quiz_attempts_user_id_card_id", "quiz_attempts", ["user_id", "card_id"])
    op.create_index(
        "ix_quiz_attempts_user_id_answered_at", "quiz_attempts", ["user_id", "answered_at"]
    )


def downgrade() -> None:
    """Drop the quiz_attempts table."""
    op.drop_index("ix_quiz_attempts_user_id_answered_at", table_name="quiz_attempts")
    op.drop_index("ix_quiz_attempts_user_id_card_id", table_name="quiz_attempts")
    op.drop_table("quiz_attempts")
