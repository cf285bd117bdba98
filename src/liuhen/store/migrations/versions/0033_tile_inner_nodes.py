"""a full tile's inner nodes stored beside it

An inclusion proof of an event whose leaf tile the process does not hold folded the whole
tile (255 hashes, ~0.15 ms: a quarter of a proof at millions of events). A full tile now
keeps its nodes at heights 4 to 7 (``ledger/tiles.inner_nodes``), written with it; the
column is NULL on the tiles of a store that predates it until ``liuhen init`` fills them
(``Store.build_tiles``), and a proof folds such a tile as before.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_tiles") as batch:
        batch.add_column(sa.Column("inner_nodes", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_tiles") as batch:
        batch.drop_column("inner_nodes")
