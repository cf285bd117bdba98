"""the Merkle tree stored as tiles

``ledger_tiles`` holds the tree over the ledger's events in the C2SP tlog-tiles layout, so an
inclusion or consistency proof reads a few tiles instead of every leaf hash. An existing
ledger gets its tiles in the first write transaction after the upgrade (``liuhen init``
upgrades and writes them at once), computed from the events' leaf hashes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_tiles",
        sa.Column("level", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("idx", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_tiles")),
    )


def downgrade() -> None:
    op.drop_table("ledger_tiles")
