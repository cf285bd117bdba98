"""lists, search and the dashboard read an index of the case summaries, not every case

The case list, search, 我的待办, the due-soon list and the dashboard are paged, filtered and
counted in SQL: ``case_summaries`` gains the columns they read (store/summary_index.py), its
officers go to ``summary_officers``, the dashboard's counts per group are kept in
``dashboard_counts`` / ``dashboard_categories``, each case's newest change in
``case_changes`` (so a stale summary is found without reading the ledger), and numbers,
titles and parties get a full-text index of bigrams (store/search.py: SQLite FTS5,
PostgreSQL GIN). Existing summaries are indexed here from their JSON, as of now.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import context, op

from liuhen.ledger.events import READ_ACTIONS
from liuhen.store import search, summary_index
from liuhen.store.types import JSONText, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TEXT = (
    ("number", 100),
    ("title", 300),
    ("party_name", 300),
    ("procedure", 40),
    ("month", 7),
    ("created_by", 40),
    ("marks", 200),
    ("calendar_key", 40),
)
_COUNTS = (
    "version",
    "findings",
    "violations",
    "pending_undated",
    "av_needed",
    "av_have",
    "av_total",
    "av_missing",
    "c_violations",
    "c_overdue",
    "c_av_late",
    "c_av_waiting",
)
_TIMES = (
    "opened_at",
    "recompute_at",
    "first_pending_due",
    "last_pending_due",
    "contrib_at",
    "c_until",
    "c_oldest_overdue",
    "c_next_due",
)
_INDEXED = ("recompute_at", "contrib_at", "c_until", "c_oldest_overdue", "c_next_due")
_KEY = (
    ("agency_id", 40),
    ("section", 200),
    ("month", 7),
    ("stage", 40),
    ("procedure", 40),
    ("officer_id", 40),
)
_FIELDS = (
    "cases",
    "av_needed",
    "av_have",
    "av_missing_cases",
    "av_done",
    "av_late",
    "av_late_cases",
    "files_on_time",
    "files_late",
    "violations",
    "violation_cases",
    "overdue_cases",
    "overdue_items",
    "unreadable",
)


def _key() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.String(length=n), nullable=False) for name, n in _KEY]


def upgrade() -> None:
    with op.batch_alter_table("case_summaries") as batch:
        for name, length in _TEXT:
            batch.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        for name in _TIMES:
            batch.add_column(sa.Column(name, UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("unreadable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("pending_dues", JSONText(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("search_terms", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("c_case_file", sa.String(length=10), nullable=False, server_default="none")
        )
        batch.add_column(sa.Column("c_categories", JSONText(), nullable=False, server_default="{}"))
    for name in _INDEXED:
        op.create_index(op.f(f"ix_case_summaries_{name}"), "case_summaries", [name])
    op.create_index(
        "ix_case_summaries_agency_opened", "case_summaries", ["agency_id", "opened_at", "number"]
    )
    op.create_index("ix_case_summaries_opened", "case_summaries", ["opened_at", "number"])

    op.create_table(
        "summary_officers",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("officer_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "officer_id", name=op.f("pk_summary_officers")),
    )
    op.create_index(op.f("ix_summary_officers_officer_id"), "summary_officers", ["officer_id"])
    op.create_table(
        "case_changes",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_changes")),
    )
    op.create_index(op.f("ix_case_changes_seq"), "case_changes", ["seq"])
    op.create_table(
        "dashboard_counts",
        *_key(),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _FIELDS),
        sa.PrimaryKeyConstraint(*(k for k, _ in _KEY), name=op.f("pk_dashboard_counts")),
    )
    op.create_table(
        "dashboard_categories",
        *_key(),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            *(k for k, _ in _KEY), "category", name=op.f("pk_dashboard_categories")
        ),
    )
    op.create_table(
        "derived_settings",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_derived_settings")),
    )

    conn = op.get_bind()
    reads = ", ".join(f"'{a}'" for a in sorted(READ_ACTIONS))
    conn.execute(
        sa.text(
            "INSERT INTO case_changes (case_id, seq) SELECT case_id, MAX(seq) FROM ledger_events "
            f"WHERE case_id IS NOT NULL AND action NOT IN ({reads}) GROUP BY case_id"
        )
    )
    tz_name = context.config.attributes.get("timezone") or "Asia/Shanghai"
    summary_index.rebuild(
        conn,
        tz=ZoneInfo(tz_name),
        tz_name=tz_name,
        now=datetime.now(UTC),
        footage=False,
        sort_keys=False,
        bodies_table=False,
    )
    search.create_index(op)


def downgrade() -> None:
    search.drop_index(op)
    for table in (
        "derived_settings",
        "dashboard_categories",
        "dashboard_counts",
        "case_changes",
        "summary_officers",
    ):
        op.drop_table(table)
    op.drop_index("ix_case_summaries_opened", table_name="case_summaries")
    op.drop_index("ix_case_summaries_agency_opened", table_name="case_summaries")
    for name in _INDEXED:
        op.drop_index(op.f(f"ix_case_summaries_{name}"), table_name="case_summaries")
    with op.batch_alter_table("case_summaries") as batch:
        for name in (
            *(n for n, _ in _TEXT),
            *_COUNTS,
            *_TIMES,
            "unreadable",
            "pending_dues",
            "search_text",
            "search_terms",
            "c_case_file",
            "c_categories",
        ):
            batch.drop_column(name)
