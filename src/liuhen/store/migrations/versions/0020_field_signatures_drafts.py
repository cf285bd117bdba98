"""handwritten signatures and refusals on a document's lines (insert-only, one per slot and
version), and the officers' form drafts (bookkeeping, not records)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 13:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import JSONText, UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hand_signatures",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("signed_record_id", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_hand_signatures_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_hand_signatures_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["signed_record_id"],
            ["records.id"],
            name=op.f("fk_hand_signatures_signed_record_id_records"),
        ),
        sa.ForeignKeyConstraint(
            ["image_sha256"],
            ["blobs.sha256"],
            name=op.f("fk_hand_signatures_image_sha256_blobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hand_signatures")),
    )
    op.create_index(op.f("ix_hand_signatures_case_id"), "hand_signatures", ["case_id"])
    op.create_index(
        "uq_hand_signatures_slot", "hand_signatures", ["record_id", "slot"], unique=True
    )
    insert_only_guard(op, "hand_signatures")
    op.create_table(
        "form_drafts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("form_key", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_form_drafts_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_form_drafts_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_drafts")),
    )
    op.create_index(
        "uq_form_drafts_key", "form_drafts", ["user_id", "case_id", "form_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_form_drafts_key", table_name="form_drafts")
    op.drop_table("form_drafts")
    op.drop_index("uq_hand_signatures_slot", table_name="hand_signatures")
    op.drop_index(op.f("ix_hand_signatures_case_id"), table_name="hand_signatures")
    op.drop_table("hand_signatures")
