"""faces found once per video file of a record (face_scans), not again for each copy request

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import JSONText, UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_scans",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("proposals", JSONText(), nullable=False),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_face_scans_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_face_scans_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["blob_sha256"], ["blobs.sha256"], name=op.f("fk_face_scans_blob_sha256_blobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_scans")),
    )
    op.create_index(op.f("ix_face_scans_case_id"), "face_scans", ["case_id"])
    op.create_index("uq_face_scans_file", "face_scans", ["record_id", "position"], unique=True)
    insert_only_guard(op, "face_scans")


def downgrade() -> None:
    op.drop_index("uq_face_scans_file", table_name="face_scans")
    op.drop_index(op.f("ix_face_scans_case_id"), table_name="face_scans")
    op.drop_table("face_scans")
