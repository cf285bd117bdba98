"""case and document numbers: 字号 per agency and kind, issued numbers, explained gaps,
counters (seeded from the numbers already in the store, so none is issued again)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 14:00:00
"""

import json
import re

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_SERIAL = re.compile(r"[〔\[【(（［](\d{4})[〕\]】)）］]\s*第?\s*(\d+)\s*号\s*$")


def _who() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    ]


def _agency(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["agency_id"], ["agencies.id"], name=op.f(f"fk_{table}_agency_id_agencies")
    )


def _record_tables() -> None:
    op.create_table(
        "number_styles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=60), nullable=False),
        sa.Column("di", sa.Boolean(), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        *_who(),
        _agency("number_styles"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_styles")),
    )
    op.create_index(
        "uq_number_styles_version", "number_styles", ["agency_id", "kind", "version"], unique=True
    )
    op.create_table(
        "issued_numbers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        *_who(),
        _agency("issued_numbers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_numbers")),
    )
    op.create_index(
        "uq_issued_numbers_serial",
        "issued_numbers",
        ["agency_id", "kind", "year", "serial"],
        unique=True,
    )
    op.create_index(
        "uq_issued_numbers_number", "issued_numbers", ["agency_id", "kind", "number"], unique=True
    )
    op.create_table(
        "number_voids",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_who(),
        _agency("number_voids"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_voids")),
    )
    op.create_index(
        "uq_number_voids_serial",
        "number_voids",
        ["agency_id", "kind", "year", "serial"],
        unique=True,
    )
    for table in ("number_styles", "issued_numbers", "number_voids"):
        insert_only_guard(op, table)


def _seed_counters() -> None:
    """The counters start past every number the store already holds (cases and documents)."""
    conn = op.get_bind()
    highest: dict[tuple[str, str, int], int] = {}

    def seen(agency_id: str, kind: str, number: str) -> None:
        found = _SERIAL.search(number or "")
        if found:
            key = (agency_id, kind, int(found[1]))
            highest[key] = max(highest.get(key, 0), int(found[2]))

    for agency_id, number in conn.execute(sa.text("SELECT agency_id, number FROM cases")):
        seen(agency_id, "case", number)
    rows = conn.execute(
        sa.text(
            "SELECT c.agency_id, r.doc_kind, r.details FROM records r "
            "JOIN cases c ON c.id = r.case_id WHERE r.doc_kind <> ''"
        )
    )
    for agency_id, doc_kind, details in rows:
        data = json.loads(details) if isinstance(details, str) else (details or {})
        seen(agency_id, doc_kind, str(data.get("number", "")))
    counters = sa.table(
        "number_counters",
        sa.column("agency_id"),
        sa.column("kind"),
        sa.column("year"),
        sa.column("last"),
    )
    if highest:
        op.bulk_insert(
            counters,
            [
                {"agency_id": a, "kind": k, "year": y, "last": last}
                for (a, k, y), last in highest.items()
            ],
        )


def upgrade() -> None:
    _record_tables()
    op.create_table(
        "number_counters",
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "kind", "year", name=op.f("pk_number_counters")),
    )
    _seed_counters()


def downgrade() -> None:
    op.drop_table("number_counters")
    for table in ("number_voids", "issued_numbers", "number_styles"):
        op.drop_table(table)
