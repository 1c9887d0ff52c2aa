"""Scheduling at Anki's best: versioned scheduler configurations, FSRS fits, interview dates,
leeches, a maximum interval, and undoable resets of cards' progress.

Revision ID: 0006_scheduling
Revises: 0005_interviews
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_scheduling"
down_revision: str | None = "0005_interviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the new columns and tables."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("maximum_interval", sa.Integer(), nullable=False, server_default="365")
        )
        batch.add_column(
            sa.Column("leech_threshold", sa.SmallInteger(), nullable=False, server_default="8")
        )
        batch.add_column(
            sa.Column(
                "leech_action", sa.String(length=16), nullable=False, server_default="suspend"
            )
        )
        batch.add_column(sa.Column("fsrs_parameters", sa.Text(), nullable=True))
    with op.batch_alter_table("card_states") as batch:
        batch.add_column(
            sa.Column("leech", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "schedulers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedulers"),
        sa.UniqueConstraint("config_hash", name="uq_schedulers_config_hash"),
    )
    with op.batch_alter_table("review_logs") as batch:
        batch.add_column(sa.Column("scheduler_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("leech_before", sa.Boolean(), nullable=True))
        batch.create_foreign_key(
            "fk_review_logs_scheduler_id_schedulers", "schedulers", ["scheduler_id"], ["id"]
        )
    op.create_table(
        "fsrs_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=True),
        sa.Column("previous_parameters", sa.Text(), nullable=True),
        sa.Column("current_log_loss", sa.Float(), nullable=True),
        sa.Column("current_rmse", sa.Float(), nullable=True),
        sa.Column("fitted_log_loss", sa.Float(), nullable=True),
        sa.Column("fitted_rmse", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_fsrs_fits_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fsrs_fits"),
    )
    op.create_index("ix_fsrs_fits_user_id_requested_at", "fsrs_fits", ["user_id", "requested_at"])
    op.create_table(
        "interview_dates",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("deck_id", sa.String(length=80), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_interview_dates_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "deck_id", name="pk_interview_dates"),
    )
    op.create_table(
        "card_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reset_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_card_resets_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_card_resets"),
        sa.UniqueConstraint("user_id", "reset_id", name="uq_card_resets_user_id_reset_id"),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("card_resets")
    op.drop_table("interview_dates")
    op.drop_index("ix_fsrs_fits_user_id_requested_at", table_name="fsrs_fits")
    op.drop_table("fsrs_fits")
    with op.batch_alter_table("review_logs") as batch:
        batch.drop_constraint("fk_review_logs_scheduler_id_schedulers", type_="foreignkey")
        batch.drop_column("leech_before")
        batch.drop_column("scheduler_id")
    op.drop_table("schedulers")
    with op.batch_alter_table("card_states") as batch:
        batch.drop_column("leech")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("fsrs_parameters")
        batch.drop_column("leech_action")
        batch.drop_column("leech_threshold")
        batch.drop_column("maximum_interval")
