"""A consistent snapshot of the database while the app runs, and what the snapshot holds.

``writers_held`` locks the ledger's head (SQLite: the write lock of ``BEGIN IMMEDIATE``;
PostgreSQL: the head row ``FOR UPDATE``), the lock every transaction that appends an event
takes first; while it is held ``open_snapshot`` pins a read snapshot and the data
directory's files are read (``files.take_files``). The lock is then let go and the snapshot
is written out without holding anyone up:

- SQLite: a read transaction is opened on the database file (in WAL mode it sees the
  database as it stood, whatever is committed later) and the sqlite3 online backup API copies
  the database through it, never a file copy;
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot``) and
  ``pg_dump --snapshot`` dumps exactly that (``postgres.dump``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import Engine

from liuhen.config import Settings
from liuhen.store import tables as t
from liuhen.store.backup import PG_FILE, SQLITE_FILE, postgres
from liuhen.store.unit import lock_ledger_head


@dataclass(frozen=True)
class LedgerState:
    """A ledger as one database holds it: its events and its newest signed checkpoint."""

    events: int
    size: int
    """The newest signed checkpoint's tree size (0 when none is signed)."""
    root_hash: str | None
    origin: str | None = None
    key_fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SnapshotState:
    """What a snapshot holds: the schema revision, the ledger, and the blobs its rows list."""

    revision: str | None
    ledger: LedgerState
    blobs: list[tuple[str, str, int]] = field(default_factory=list)
    """(sha256, sm3, size) of every row of ``blobs``."""


def ledger_state(conn: Connection) -> LedgerState:
    """The ledger a database holds (read on ``conn``, in whatever snapshot it reads)."""
    head = conn.execute(select(t.ledger_head.c.next_seq).where(t.ledger_head.c.id == 1)).scalar()
    newest = conn.execute(
        select(
            t.checkpoints.c.tree_size,
            t.checkpoints.c.root_hash,
            t.checkpoints.c.origin,
            t.checkpoints.c.key_fingerprint,
        )
        .order_by(t.checkpoints.c.tree_size.desc())
        .limit(1)
    ).first()
    if newest is None:
        return LedgerState(int(head or 0), 0, None)
    return LedgerState(int(head or 0), int(newest[0]), str(newest[1]), newest[2], newest[3])


def read_state(conn: Connection) -> SnapshotState:
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    rows = conn.execute(select(t.blobs.c.sha256, t.blobs.c.sm3, t.blobs.c.size)).all()
    blobs = [(str(sha), str(sm3), int(size)) for sha, sm3, size in rows]
    return SnapshotState(revision, ledger_state(conn), blobs)


def has_schema(conn: Connection) -> bool:
    return "ledger_head" in inspect(conn).get_table_names()


def sqlite_path(settings: Settings) -> Path:
    """The SQLite database file of ``settings``."""
    return Path(settings.database_url.removeprefix("sqlite:///"))


def read_only_engine(path: Path) -> Engine:
    """An engine that only reads the SQLite file ``path`` (no WAL files made beside it)."""
    return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")


@contextmanager
def writers_held(engine: Engine) -> Iterator[None]:
    """While the block runs no transaction can append a ledger event, so none can commit a
    record: every one takes the ledger head's lock first (``Tx._append``)."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            lock_ledger_head(conn)
            yield
        finally:
            trans.rollback()


class Snapshot(Protocol):
    def write(self, out: Path) -> tuple[str, SnapshotState]:
        """Write the snapshot into the backup ``out``; its file name and what it holds."""

    def close(self) -> None: ...


def open_snapshot(settings: Settings, engine: Engine) -> Snapshot:
    """Pin a snapshot of the database now (call it inside ``writers_held``)."""
    if settings.is_sqlite:
        return SqliteSnapshot(sqlite_path(settings))
    return PostgresSnapshot(settings, engine)


class SqliteSnapshot:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT next_seq FROM ledger_head").fetchall()  # the snapshot: now

    def write(self, out: Path) -> tuple[str, SnapshotState]:
        target = out / SQLITE_FILE
        copy = sqlite3.connect(target)
        try:
            self.conn.backup(copy)  # reads through the open transaction: its snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
        engine = read_only_engine(target)
        try:
            with engine.connect() as conn:
                return SQLITE_FILE, read_state(conn)
        finally:
            engine.dispose()

    def close(self) -> None:
        self.conn.close()


class PostgresSnapshot:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        self.trans = self.conn.begin()
        self.name = str(self.conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())

    def write(self, out: Path) -> tuple[str, SnapshotState]:
        state = read_state(self.conn)
        postgres.dump(self.settings, out / PG_FILE, snapshot=self.name)
        return PG_FILE, state

    def close(self) -> None:
        try:
            self.trans.rollback()
        finally:
            self.conn.close()
