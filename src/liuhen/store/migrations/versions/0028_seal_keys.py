"""the agencies' seal keys in the database, encrypted, for every node (seal_keys); the
plaintext files a node kept are moved in at its next start (store/seal_keys.py)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 22:30:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import UTCDateTime

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seal_keys",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_seal_keys")),
    )


def downgrade() -> None:
    op.drop_table("seal_keys")
