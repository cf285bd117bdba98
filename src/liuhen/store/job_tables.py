"""The cluster's background jobs (``store/job_rows.py``, ``jobs/runner.py``): a table of its
own, re-exported by ``store/tables.py`` (importers use ``t.jobs``)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, text

from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["ACTIVE_STATES", "jobs"]

ACTIVE_STATES = ("queued", "running")
_ACTIVE = text("state IN ('queued', 'running')")

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(40), nullable=False),  # export, four_properties, fixity …
    Column("key", String(200), nullable=False),  # one waiting or running job per key
    Column("args", JSONText(), nullable=False),
    Column("state", String(10), nullable=False),  # queued | running | done | failed
    Column("progress", Float(), nullable=False),  # 0..1
    Column("step", String(120), nullable=False),  # what the work does now (Chinese)
    Column("node", String(120), nullable=True),  # the node running it (or that last ran it)
    Column("lease_until", UTCDateTime(), nullable=True),  # past it, another node may retry
    Column("attempts", Integer(), nullable=False),
    Column("max_attempts", Integer(), nullable=False),
    Column("result", JSONText(), nullable=True),
    Column("error", Text(), nullable=False),
    Column("slot", UTCDateTime(), nullable=True),  # a scheduled job's slot start
    Column("case_id", String(40), nullable=True, index=True),
    Column("requested_by", String(40), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Index(
        "uq_jobs_active_key",
        "key",
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    ),
    Index("uq_jobs_slot", "kind", "slot", unique=True),
    Index("ix_jobs_state_created", "state", "created_at"),
    Index("ix_jobs_key_created", "key", "created_at"),
)
"""Background work of the whole cluster, one row per job. Any node claims a waiting job (or
a running one whose node stopped renewing its lease) in one statement (PostgreSQL
``FOR UPDATE SKIP LOCKED``; SQLite's write lock), writes its progress here, and ends it done
(``result``) or failed (``error``). One job waits or runs per ``key`` (``uq_jobs_active_key``);
a scheduled job's row is keyed by its kind and slot (``uq_jobs_slot``): the node that
inserts it first has it, the others insert nothing. Bookkeeping like ``rate_windows``: not a
record, not on the ledger (what a job does is)."""
