"""redaction marks confirmed for a party's copy (复制件遮盖), one insert-only version a change

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import JSONText, UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redactions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.String(length=40), nullable=True),
        sa.Column("marks", JSONText(), nullable=False),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_redactions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_redactions_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_redactions_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["redactions.id"],
            name=op.f("fk_redactions_supersedes_id_redactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redactions")),
    )
    op.create_index(op.f("ix_redactions_case_id"), "redactions", ["case_id"])
    op.create_index(
        "uq_redactions_version", "redactions", ["request_id", "record_id", "version"], unique=True
    )
    insert_only_guard(op, "redactions")


def downgrade() -> None:
    op.drop_index("uq_redactions_version", table_name="redactions")
    op.drop_index(op.f("ix_redactions_case_id"), table_name="redactions")
    op.drop_table("redactions")
