"""holiday schedules an administrator loads (years the chinese_calendar package lacks)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:00:00
"""

import sqlalchemy as sa
from alembic import op

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
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER holiday_schedules_no_{verb.lower()} BEFORE {verb} "
                "ON holiday_schedules "
                "BEGIN SELECT RAISE(ABORT, 'liuhen: holiday_schedules is insert-only'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER holiday_schedules_insert_only BEFORE UPDATE OR DELETE "
            "ON holiday_schedules FOR EACH ROW EXECUTE FUNCTION liuhen_insert_only()"
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_holiday_schedules_year"), table_name="holiday_schedules")
    op.drop_table("holiday_schedules")
