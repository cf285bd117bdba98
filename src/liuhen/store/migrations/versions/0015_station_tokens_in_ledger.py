"""station tokens ledger-written: one live station per name

The ``stations`` table is now covered by the ledger (row digests in ``station.added``,
``station.revoked`` and ``station.adopted`` events); tokens issued before are adopted by
``liuhen init`` (``services.av.stations.adopt_stations``). Two stations issued under the same
name at the same moment could both pass the service's check: a partial unique index keeps
one unrevoked station per name.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_stations_live_name",
        "stations",
        ["name"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_stations_live_name", table_name="stations")
