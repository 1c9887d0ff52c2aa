"""Add accounts (tokens, login throttling), study settings, card states and the review log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the study tables and the users' study settings."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("desired_retention", sa.Float(), nullable=False, server_default="0.9")
        )
        batch.add_column(sa.Column("new_per_day", sa.Integer(), nullable=False, server_default="20"))
        batch.add_column(
            sa.Column("reviews_per_day", sa.Integer(), nullable=False, server_default="200")
        )
        batch.add_column(
            sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC")
        )
        batch.add_column(
            sa.Column("day_starts_at", sa.SmallInteger(), nullable=False, server_default="4")
        )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_auth_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_auth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_auth_tokens_token_hash"),
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_key", "login_failures", ["key"])
    op.create_table(
        "card_states",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=80), nullable=False),
        sa.Column("deck_id", sa.String(length=80), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_review", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("buried_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_card_states_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "card_id", name="pk_card_states"),
    )
    op.create_index("ix_card_states_user_id_due", "card_states", ["user_id", "due"])
    op.create_table(
        "review_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=False),
        sa.Column("card_id", sa.String(length=80), nullable=False),
        sa.Column("deck_id", sa.String(length=80), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("desired_retention", sa.Float(), nullable=False),
        sa.Column("state_before", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_review_logs_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_logs"),
        sa.UniqueConstraint("user_id", "review_id", name="uq_review_logs_user_id_review_id"),
    )
    op.create_index("ix_review_logs_user_id_reviewed_at", "review_logs", ["user_id", "reviewed_at"])
    op.create_index("ix_review_logs_user_id_card_id", "review_logs", ["user_id", "card_id"])


def downgrade() -> None:
    """Drop the study tables and settings."""
    op.drop_table("review_logs")
    op.drop_table("card_states")
    op.drop_table("login_failures")
    op.drop_table("auth_tokens")
    with op.batch_alter_table("users") as batch:
        for column in (
            "day_starts_at",
            "timezone",
            "reviews_per_day",
            "new_per_day",
            "desired_retention",
        ):
            batch.drop_column(column)
