"""Add interviews and interview_answers: timed mock interviews, logged apart from reviews.

Revision ID: 0005_interviews
Revises: 0004_quiz_attempts
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_interviews"
down_revision: str | None = "0004_quiz_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the interviews and interview_answers tables and their indexes."""
    op.create_table(
        "interviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("seconds_per_answer", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_interviews_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_interviews"),
        sa.UniqueConstraint("user_id", "public_id", name="uq_interviews_user_id_public_id"),
    )
    op.create_index("ix_interviews_user_id_created_at", "interviews", ["user_id", "created_at"])
    op.create_table(
        "interview_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("card_id", sa.String(length=80), nullable=False),
        sa.Column("follow_up", sa.SmallInteger(), nullable=True),
        sa.Column("answer_id", sa.String(length=36), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("covered", sa.Text(), nullable=True),
        sa.Column("over_time", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews.id"],
            name="fk_interview_answers_interview_id_interviews",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_interview_answers"),
        sa.UniqueConstraint(
            "interview_id",
            "position",
            "part",
            name="uq_interview_answers_interview_id_position_part",
        ),
        sa.UniqueConstraint(
            "interview_id", "answer_id", name="uq_interview_answers_interview_id_answer_id"
        ),
    )
    op.create_index("ix_interview_answers_interview_id", "interview_answers", ["interview_id"])


def downgrade() -> None:
    """Drop the interview tables."""
    op.drop_index("ix_interview_answers_interview_id", table_name="interview_answers")
    op.drop_table("interview_answers")
    op.drop_index("ix_interviews_user_id_created_at", table_name="interviews")
    op.drop_table("interviews")
