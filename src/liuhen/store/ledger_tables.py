"""The ledger's own tables: the events (hash-chained, insert-only), the head (the next
sequence number and the chain hash: the one row every write locks), the signed checkpoints,
the Merkle tree's tiles and the runs of ``liuhen verify``. ``store/tables.py`` re-exports them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, LargeBinary, String, Table

from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["checkpoints", "ledger_events", "ledger_head", "ledger_tiles", "verification_runs"]

ledger_events = Table(
    "ledger_events",
    metadata,
    Column("seq", BigInteger(), primary_key=True, autoincrement=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("actor_id", String(40), nullable=True),
    Column("actor_label", String(200), nullable=False),
    Column("action", String(80), nullable=False),
    Column("subject_type", String(40), nullable=False),
    Column("subject_id", String(80), nullable=False),
    Column("case_id", String(40), nullable=True),
    Column("payload", JSONText(), nullable=False),
    Column("payload_digest", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("leaf_hash", String(64), nullable=False),
    Index("ix_ledger_events_subject", "subject_type", "subject_id"),
    Index("ix_ledger_events_case_action", "case_id", "action"),  # migration 0032
    Index("ix_ledger_events_action_seq", "action", "seq"),  # migration 0034
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("next_seq", BigInteger(), nullable=False),
    Column("chain_hash", String(64), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tree_size", BigInteger(), primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("signed_at", UTCDateTime(), nullable=False),
    Column("signature", LargeBinary(), nullable=False),
    Column("key_fingerprint", String(80), nullable=False),
)

ledger_tiles = Table(
    "ledger_tiles",
    metadata,
    Column("level", Integer(), primary_key=True, autoincrement=False),
    Column("idx", BigInteger(), primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary(), nullable=False),
    Column("inner_nodes", LargeBinary(), nullable=True),
)
"""The Merkle tree over the events as C2SP tiles (``ledger/tiles.py``): a proof reads a few
of them, not every leaf. Derived (every tile follows from the events' leaf hashes, and
``liuhen verify`` recomputes and compares them), written in the transaction that appends the
events it covers; a partial tile is rewritten as it grows, a full one never again. A full
tile holds its ``inner_nodes`` too (``ledger/tiles.inner_nodes``: 960 bytes that spare a
proof 240 hashes); NULL on a partial tile, and on a full one until ``liuhen init`` fills it
in a store that predates them."""

verification_runs = Table(
    "verification_runs",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=False),
    Column("ok", Boolean(), nullable=False),
    Column("report", JSONText(), nullable=False),
)
