"""holiday schedules an administrator loads (years the chinese_calendar package lacks)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import JSONText, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holiday_schedules",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holidays", JSONText(), nullable=False),
        sa.Column("workdays", JSONText(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_schedules")),
    )
    op.create_index(op.f("ix_holiday_schedules_year"), "holiday_schedules", ["year"])
    insert_only_guard(op, "holiday_schedules")


def downgrade() -> None:
    op.drop_index(op.f("ix_holiday_schedules_year"), table_name="holiday_schedules")
    op.drop_table("holiday_schedules")
