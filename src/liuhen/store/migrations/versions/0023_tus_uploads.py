"""resumable uploads staged in the object store: their state in the database, so a PATCH
may land on any node (issue 14 item 3)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 04:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import JSONText, UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tus_uploads",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("info", JSONText(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("staging", JSONText(), nullable=False),
        sa.Column("writer", sa.String(length=40), nullable=True),
        sa.Column("writer_at", UTCDateTime(), nullable=True),
        sa.Column("touched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tus_uploads")),
    )


def downgrade() -> None:
    op.drop_table("tus_uploads")
