"""案卷评查 of closed cases (评议考核): one insert-only version per signed score sheet

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 13:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import JSONText, UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_reviews",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.String(length=40), nullable=True),
        sa.Column("profile_id", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("scores", JSONText(), nullable=False),
        sa.Column("card", JSONText(), nullable=False),
        sa.Column("total", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_reviews_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["case_reviews.id"],
            name=op.f("fk_case_reviews_supersedes_id_case_reviews"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reviews")),
    )
    op.create_index("uq_case_reviews_version", "case_reviews", ["case_id", "version"], unique=True)
    insert_only_guard(op, "case_reviews")


def downgrade() -> None:
    op.drop_index("uq_case_reviews_version", table_name="case_reviews")
    op.drop_table("case_reviews")
