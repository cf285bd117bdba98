"""the cluster's background jobs: one row per job, claimed by any node, leased, with its
progress; a scheduled job's row is unique per kind and slot

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import JSONText, UTCDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("args", JSONText(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("step", sa.String(length=120), nullable=False),
        sa.Column("node", sa.String(length=120), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("result", JSONText(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("slot", UTCDateTime(), nullable=True),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("requested_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_case_id"), "jobs", ["case_id"])
    op.create_index(
        "uq_jobs_active_key",
        "jobs",
        ["key"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_index("uq_jobs_slot", "jobs", ["kind", "slot"], unique=True)
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])
    op.create_index("ix_jobs_key_created", "jobs", ["key", "created_at"])


def downgrade() -> None:
    for name in ("ix_jobs_key_created", "ix_jobs_state_created", "uq_jobs_slot"):
        op.drop_index(name, table_name="jobs")
    op.drop_index("uq_jobs_active_key", table_name="jobs")
    op.drop_index(op.f("ix_jobs_case_id"), table_name="jobs")
    op.drop_table("jobs")
