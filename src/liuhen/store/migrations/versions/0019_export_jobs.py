"""export jobs asked for from the web (电子归档包, 案卷 PDF): one insert-only row per job

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_export_jobs_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    op.create_index(op.f("ix_export_jobs_case_id"), "export_jobs", ["case_id"])
    op.create_index(
        "uq_export_jobs_attempt",
        "export_jobs",
        ["case_id", "kind", "basis", "attempt"],
        unique=True,
    )
    insert_only_guard(op, "export_jobs")


def downgrade() -> None:
    op.drop_index("uq_export_jobs_attempt", table_name="export_jobs")
    op.drop_index(op.f("ix_export_jobs_case_id"), table_name="export_jobs")
    op.drop_table("export_jobs")
