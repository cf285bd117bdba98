"""Tables derived from the records and the ledger: the case summaries' index (the columns
lists filter, sort and search on, and each case's share of the dashboard's counts), the
officers of summarised cases, footage due, each case's newest change, and the dashboard's
counts kept per group. A cache: every row can be rebuilt from the records
(``store/summary_index.py``), so none is insert-only or tracked by the ledger.
``store/tables.py`` re-exports them with the records' tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)

from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = [
    "DASHBOARD_FIELDS",
    "DASHBOARD_KEY",
    "SEARCH_OBJECTS",
    "case_changes",
    "case_summaries",
    "case_summary_bodies",
    "dashboard_categories",
    "dashboard_counts",
    "derived_settings",
    "footage_due",
    "summary_officers",
]

INBOX_KEY = ("agency_id", "c_oldest_overdue", "number", "case_id", "c_overdue", "c_next_due")
"""After the owner (an officer, the opener): what 我的待办 chooses, orders and sums a
reader's own cases by, all of it in the index (migration 0031)."""

case_summaries = Table(
    "case_summaries",
    metadata,
    Column("case_id", String(40), ForeignKey("cases.id"), primary_key=True),
    Column("agency_id", String(40), nullable=False, index=True),
    Column("section", String(200), nullable=False, default=""),
    Column("stage", String(40), nullable=False),
    Column("source_seq", BigInteger(), nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
    # -- what lists filter, sort and search on (store/summary_index.py derives them) --
    Column("number", String(100), nullable=False, default="", server_default=""),
    Column("title", String(300), nullable=False, default="", server_default=""),
    Column("party_name", String(300), nullable=False, default="", server_default=""),
    Column("procedure", String(40), nullable=False, default="", server_default=""),
    Column("opened_at", UTCDateTime(), nullable=True),
    Column(
        "month", String(7), nullable=False, default="", server_default=""
    ),  # opened, in the agency's zone
    Column("created_by", String(40), nullable=False, default="", server_default=""),
    Column(
        "marks", String(200), nullable=False, default="", server_default=""
    ),  # confidentiality, "|a|b|"
    Column("version", Integer(), nullable=False, default=0, server_default="0"),
    Column("calendar_key", String(40), nullable=False, default="", server_default=""),
    Column("recompute_at", UTCDateTime(), nullable=True, index=True),
    Column("unreadable", Boolean(), nullable=False, default=False, server_default=false()),
    Column("findings", Integer(), nullable=False, default=0, server_default="0"),
    Column(
        "violations", Integer(), nullable=False, default=0, server_default="0"
    ),  # violations when computed
    Column("pending_dues", JSONText(), nullable=False, default=list, server_default="[]"),
    Column("first_pending_due", UTCDateTime(), nullable=True),
    Column("last_pending_due", UTCDateTime(), nullable=True),
    Column("pending_undated", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_needed", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_have", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_total", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_missing", Integer(), nullable=False, default=0, server_default="0"),
    Column("search_text", Text(), nullable=False, default="", server_default=""),
    Column("search_terms", Text(), nullable=False, default="", server_default=""),
    # -- the case's share of the dashboard's figures as of contrib_at, until c_until --
    Column("contrib_at", UTCDateTime(), nullable=True, index=True),
    Column("c_until", UTCDateTime(), nullable=True, index=True),
    Column("c_violations", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_overdue", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_av_late", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_av_waiting", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_case_file", String(10), nullable=False, default="none", server_default="none"),
    Column("c_categories", JSONText(), nullable=False, default=dict, server_default="{}"),
    Column("c_oldest_overdue", UTCDateTime(), nullable=True, index=True),
    Column("c_next_due", UTCDateTime(), nullable=True, index=True),
    Index("ix_case_summaries_agency_opened", "agency_id", "opened_at", "number"),
    Index(
        "ix_case_summaries_agency_section",
        *("agency_id", "section", "c_oldest_overdue", "c_next_due", "c_overdue", "number"),
        "case_id",  # covering for 我的待办 (migration 0030)
    ),
    Index(
        "ix_case_summaries_inbox",
        *("case_id", "agency_id", "c_oldest_overdue", "c_next_due", "c_overdue", "number"),
    ),
    Index("ix_case_summaries_opened", "opened_at", "number"),
    Index("ix_case_summaries_created_by", "created_by", "opened_at", "number", "case_id"),
    Index("ix_case_summaries_created_inbox", "created_by", *INBOX_KEY),
)
"""Derived per-case figures for lists and the dashboard; a cache, rebuilt from the records.
Each row carries the columns that lists filter, sort and search on and the case's current
share of the dashboard's counts (``store/summary_index.py``); the summary itself (JSON, about
a kilobyte) is in ``case_summary_bodies``, so that a search or a count that reads thousands
of these rows reads narrow ones (migration 0017)."""

case_summary_bodies = Table(
    "case_summary_bodies",
    metadata,
    Column("case_id", String(40), ForeignKey("cases.id"), primary_key=True),
    Column("summary", JSONText(), nullable=False),
)
"""Each summarised case's summary (JSON, computed by ``services/cases/summaries``), beside its
row in ``case_summaries``: written and read with it, a cache like it."""

summary_officers = Table(
    "summary_officers",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("officer_id", String(40), primary_key=True, index=True),
    Column("opened_at", UTCDateTime(), nullable=True),
    # no Python-side default: rows inserted by migrations older than 0011 must not name it
    Column("number", String(100), nullable=False, server_default=""),
    # copies of the case's 我的待办 columns (migration 0031)
    Column("agency_id", String(40), nullable=False, server_default=""),
    Column("c_oldest_overdue", UTCDateTime(), nullable=True),
    Column("c_next_due", UTCDateTime(), nullable=True),
    Column("c_overdue", Integer(), nullable=False, server_default="0"),
    # with the case id: the page's window read from the index alone (migration 0035)
    Index("ix_summary_officers_officer_opened", "officer_id", "opened_at", "number", "case_id"),
    Index("ix_summary_officers_inbox", "officer_id", *INBOX_KEY),
)
"""The officers recorded on a summarised case's acts (whose own cases it is): derived. The
case's opening time and number are copied here so that an officer's cases are listed newest
first straight from the index (``case_page.page``), and its agency and overdue and due
columns so that an officer's 我的待办 is chosen from the index (``queries/inbox``); the
copies are written with the case's row (``summary_index.fill_copies``)."""

footage_due = Table(
    "footage_due",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("act_id", String(40), primary_key=True),
    Column("officer_id", String(40), primary_key=True),
    Column("due", UTCDateTime(), nullable=True),
    Column("number", String(100), nullable=False, default="", server_default=""),
    Column("item", JSONText(), nullable=True),  # the summary's av_due item, whole
    Index("ix_footage_due_officer_due", "officer_id", "due"),
)
"""Acts that need audio-video and have none stored, per officer on the act, with the
deadline (None: not started yet): from the summaries' ``av_due``, for the warnings."""

case_changes = Table(
    "case_changes",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("seq", BigInteger(), nullable=False, index=True),
)
"""Each case's newest ledger event that changed it (not a mere reading): written by
``Tx.record``, so a summary older than it is stale. Derived from the ledger."""

DASHBOARD_KEY: tuple[str, ...] = (
    "agency_id",
    "section",
    "month",
    "stage",
    "procedure",
    "officer_id",
)
"""What the dashboard's counts are grouped by; ``officer_id`` "" is the case itself, any
other value the same case counted again for one of its officers."""

DASHBOARD_FIELDS: tuple[str, ...] = (
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
"""The counts of one group of cases (``dashboard_counts.vector`` gives one case's share)."""


def _key_columns() -> list[Column[str]]:
    return [
        Column("agency_id", String(40), primary_key=True),
        Column("section", String(200), primary_key=True),
        Column("month", String(7), primary_key=True),
        Column("stage", String(40), primary_key=True),
        Column("procedure", String(40), primary_key=True),
        Column("officer_id", String(40), primary_key=True),
    ]


dashboard_counts = Table(
    "dashboard_counts",
    metadata,
    *_key_columns(),
    *(Column(name, Integer(), nullable=False, default=0) for name in DASHBOARD_FIELDS),
)
"""The dashboard's counts per group, kept up to date as summaries are written and deadlines
pass (``summary_index``): the dashboard reads a few hundred rows, never every case."""

dashboard_categories = Table(
    "dashboard_categories",
    metadata,
    *_key_columns(),
    Column("category", String(40), primary_key=True),
    Column("count", Integer(), nullable=False, default=0),
)
"""Violations per accountability category per group, kept like ``dashboard_counts``."""

derived_settings = Table(
    "derived_settings",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("value", Text(), nullable=False),
)
"""What derived tables were built with (the time zone that decides a case's month)."""

SEARCH_OBJECTS: frozenset[str] = frozenset(
    {
        "case_search",  # SQLite: FTS5 table over case_summaries.search_terms (+ its triggers)
        "case_search_data",
        "case_search_idx",
        "case_search_docsize",
        "case_search_config",
        "ix_case_summaries_search",  # PostgreSQL: GIN index on to_tsvector(search_terms)
    }
)
"""The full-text search structures migration 0007 creates per database: not declared as
tables (SQLite's FTS5 virtual table and its shadow tables, PostgreSQL's expression index),
so schema comparisons leave them out and ``test_schema_migrations`` checks them apart."""
