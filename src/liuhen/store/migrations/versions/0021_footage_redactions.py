"""redaction of footage for a party's copy: faces found per video file, and the redacted
video made from one confirmed version of the marks (one per version)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 12:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import JSONText, UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _common(name: str) -> list[Any]:
    return [
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f(f"fk_{name}_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f(f"fk_{name}_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f(f"fk_{name}_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    ]


def upgrade() -> None:
    op.create_table(
        "footage_detections",
        *_common("footage_detections"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("proposals", JSONText(), nullable=False),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_sha256"],
            ["blobs.sha256"],
            name=op.f("fk_footage_detections_blob_sha256_blobs"),
        ),
    )
    op.create_index(op.f("ix_footage_detections_case_id"), "footage_detections", ["case_id"])
    op.create_index(
        "uq_footage_detections_file",
        "footage_detections",
        ["request_id", "record_id", "position"],
        unique=True,
    )
    insert_only_guard(op, "footage_detections")
    op.create_table(
        "redacted_footage",
        *_common("redacted_footage"),
        sa.Column("redaction_id", sa.String(length=40), nullable=False),
        sa.Column("derived_id", sa.String(length=40), nullable=False),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["redaction_id"],
            ["redactions.id"],
            name=op.f("fk_redacted_footage_redaction_id_redactions"),
        ),
        sa.ForeignKeyConstraint(
            ["derived_id"], ["records.id"], name=op.f("fk_redacted_footage_derived_id_records")
        ),
    )
    op.create_index(op.f("ix_redacted_footage_case_id"), "redacted_footage", ["case_id"])
    op.create_index(
        "uq_redacted_footage_redaction", "redacted_footage", ["redaction_id"], unique=True
    )
    insert_only_guard(op, "redacted_footage")


def downgrade() -> None:
    for table, unique in (
        ("redacted_footage", "uq_redacted_footage_redaction"),
        ("footage_detections", "uq_footage_detections_file"),
    ):
        op.drop_index(unique, table_name=table)
        op.drop_index(op.f(f"ix_{table}_case_id"), table_name=table)
        op.drop_table(table)
