"""request rate limits shared by every node: hits per subject and fixed window

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("subject", sa.String(length=160), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "window_start", name=op.f("pk_rate_windows")),
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
