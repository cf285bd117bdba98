"""The unit of work: one transaction, its rows, its ledger events and its checkpoint.

Services open ``store.transaction(actor)`` and call ``insert``/``update``/``record``.
Every row written is fingerprinted; the next ledger event carries those fingerprints,
so ``liuhen verify`` can prove each row is as LiuHen wrote it. Committing a transaction
with rows but no event is a programming error and rolls back. Repositories never commit:
only ``transaction()`` does, after appending a signed checkpoint for the new tree size.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, Select, bindparam, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from liuhen.errors import Conflict, ForbiddenChange
from liuhen.ledger.events import READ_ACTIONS, Actor
from liuhen.ledger.sealed import sealed_event
from liuhen.store import tables as t
from liuhen.store import upsert
from liuhen.store.conflicts import conflict
from liuhen.store.held_events import HeldEvents, write_events
from liuhen.store.rows import row_digest
from liuhen.store.text_guard import check_row

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Appended:
    """One event for ``Tx.record_many``: what ``Tx.record`` takes."""

    action: str
    subject_type: str
    subject_id: str
    case_id: str | None = None
    payload: Mapping[str, Any] | None = None
    actor: Actor | None = None


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


_HEAD = select(t.ledger_head).where(t.ledger_head.c.id == 1).with_for_update()
"""The head's lock, built once: every write runs it (``held_events`` has the others)."""


@cache
def _by_key(table: str) -> Select[Any]:
    """``SELECT * FROM table WHERE pk = :key``, built once per table (the statement cache
    then compiles it once; a statement built per call is keyed and looked up each time)."""
    tbl = t.metadata.tables[table]
    return select(tbl).where(tbl.c[t.primary_key_name(table)] == bindparam("key"))


@cache
def _inserting(table: str) -> Insert:
    """``INSERT … RETURNING *``, built once per table: the row as stored (defaults filled,
    as the database keeps it) comes back with the insert, not from a second statement."""
    tbl = t.metadata.tables[table]
    return tbl.insert().returning(*tbl.c)


def lock_ledger_head(conn: Connection) -> None:
    """Take the ledger head's row lock until ``conn``'s transaction ends: every writer of
    events waits for it (``Tx._head``), so holding it stops the ledger (a snapshot, the tiles'
    catch-up, an index rebuild that must happen once)."""
    conn.execute(select(t.ledger_head.c.id).where(t.ledger_head.c.id == 1).with_for_update())


class Tx:
    """One open transaction. Not thread-safe; lives inside ``Store.transaction``."""

    def __init__(
        self,
        conn: Connection,
        actor: Actor,
        clock: Clock,
        head: tuple[int, str] | None = None,
        held: HeldEvents | None = None,
    ) -> None:
        """``head``: the ledger's head as the unit before this one in the same database
        transaction left it (``write_group``), so it is not read again; ``held``: where its
        events wait for the next statement or the commit (``held_events``; None: inserted
        at once)."""
        self.conn = conn
        self.actor = actor
        self.clock = clock
        self._pending_rows: list[dict[str, str]] = []
        self.events: list[int] = []
        self.changed = False  # an event that is more than a reading (READ_ACTIONS)
        self.blob_keys: list[str] = []
        """Blobs whose rows this transaction inserts: registered once it commits."""
        self._held: tuple[int, str] | None = head  # the ledger's head, once locked (_head)
        self.sign_now = False  # sign a checkpoint at the commit whatever the interval (sign)
        self.committed = False  # its database transaction committed (``writes``)
        self._holding = held

    # -- rows -------------------------------------------------------------------------
    def insert(self, table: str, values: Mapping[str, Any]) -> RowMapping:
        """Insert one row and return it as stored (read back, so digests are stable)."""
        tbl = t.metadata.tables[table]
        check_row(tbl, values)
        try:
            row = self.conn.execute(_inserting(table), dict(values)).mappings().one()
        except IntegrityError as exc:
            raise conflict(table, exc) from exc
        if table == "blobs":
            self.blob_keys.append(str(values["sha256"]))
        return self._fingerprint(table, values[t.primary_key_name(table)], row)

    def insert_new(self, table: str, values: Mapping[str, Any]) -> RowMapping | None:
        """Insert one row unless a row with its key exists (then nothing, and None): for
        content-addressed rows such as ``blobs``, which two writers storing the same bytes
        may insert at once. The database decides (``ON CONFLICT DO NOTHING``: on PostgreSQL
        the second waits for the first to commit), not a look before the insert."""
        tbl = t.metadata.tables[table]
        check_row(tbl, values)
        key = t.primary_key_name(table)
        if not upsert.insert_new(self.conn, tbl, [dict(values)], key):
            return None
        if table == "blobs":
            self.blob_keys.append(str(values["sha256"]))
        return self._track(table, values[key])

    def update(self, table: str, key: str, values: Mapping[str, Any]) -> RowMapping:
        """Change a mutable row (users, devices). Insert-only tables refuse."""
        if table in t.INSERT_ONLY:
            raise ForbiddenChange(f"{table} 中已提交的记录不可修改；请以新版本更正")
        tbl = t.metadata.tables[table]
        check_row(tbl, values)
        pk = tbl.c[t.primary_key_name(table)]
        self.conn.execute(update(tbl).where(pk == key).values(**values))
        return self._track(table, key)

    def lock(self, table: str, key: str) -> None:
        """Lock the row against other writers until this transaction ends: PostgreSQL
        ``SELECT … FOR NO KEY UPDATE`` (rows that refer to it may still be inserted); on
        SQLite nothing, since the writer holds the whole database from ``BEGIN IMMEDIATE``.
        A service locks what it decides on before it reads the state it checks and before
        its first ``record`` (which locks the ledger head), so every transaction takes its
        locks in one order: the decided-on row, then the ledger head; two rows in the order
        case, approval, record. A missing row locks nothing (the read after says so)."""
        if self.conn.dialect.name != "postgresql":
            return
        tbl = t.metadata.tables[table]
        pk = tbl.c[t.primary_key_name(table)]
        self.conn.execute(select(pk).where(pk == key).with_for_update(key_share=True))

    def get(self, table: str, key: str) -> RowMapping | None:
        return self.conn.execute(_by_key(table), {"key": key}).mappings().first()

    def adopt(self, table: str, key: str) -> RowMapping:
        """Fingerprint a row as it stands, unchanged, for the next event: a row written
        before its table was ledger-written, taken under the ledger once (an adoption)."""
        return self._track(table, key)

    def _track(self, table: str, key: str) -> RowMapping:
        row = self.get(table, key)
        assert row is not None, f"{table}/{key} vanished inside its own transaction"
        return self._fingerprint(table, key, row)

    def _fingerprint(self, table: str, key: str, row: RowMapping) -> RowMapping:
        """Note the digest of ``row`` as stored for the next event (a tracked table's)."""
        if table in t.TRACKED:
            self._pending_rows.append(
                {"table": table, "key": key, "digest": row_digest(table, row)}
            )
        return row

    # -- ledger -----------------------------------------------------------------------
    def record(
        self,
        action: str,
        *,
        subject_type: str,
        subject_id: str,
        case_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> int:
        """Append one ledger event (with the rows written since the last one); return its seq.
        ``actor`` stands for the transaction's actor (a batch of views, each by its reader)."""
        body: dict[str, Any] = dict(payload or {})
        if self._pending_rows:
            body["rows"] = self._pending_rows
            self._pending_rows = []
        event = Appended(action, subject_type, subject_id, case_id, body, actor)
        return self._append([event])[0]

    def record_many(self, events: Sequence[Appended], *, readings: bool = False) -> list[int]:
        """Append ``events`` as ``record`` would one by one (byte for byte the same events,
        the same head, the same changed-case marks) in three statements instead of three
        each: for bulk writers (benchmarks, imports of many events). No rows may be pending.
        ``readings``: every event records a reading (``Store.record_view``'s), so one that
        names no case changes nothing this process keeps (``changed`` stays False for it:
        a page view does not make the next page re-read the calendar and the summaries)."""
        if self._pending_rows:
            raise RuntimeError("record_many with rows pending: record them with their event")
        return self._append(events, readings=readings) if events else []

    def sign(self) -> None:
        """Sign a checkpoint over this transaction's events as it commits, whatever
        ``LIUHEN_CHECKPOINT_MS`` says (a checkpoint asked for, a key rotation)."""
        self.sign_now = True

    def moved(self, held: HeldEvents) -> None:
        """This unit left its batch for a transaction of its own on the same connection
        (``writes``), before it locked or wrote anything: it holds no head there yet."""
        self._holding, self._held = held, None

    def hold_head(self) -> tuple[int, str]:
        """Wait for the ledger's head and hold it until the transaction ends, as the first
        event recorded would (so that what is appended next is decided under the lock)."""
        return self._head()

    @property
    def head(self) -> tuple[int, str] | None:
        """The ledger's head as this transaction leaves it, if it has read or moved it."""
        return self._held

    def _head(self) -> tuple[int, str]:
        """(next seq, chain hash) of the ledger's head, locked until the transaction ends:
        read once, then kept here as this transaction moves it (nobody else can)."""
        if self._held is None:
            head = self.conn.execute(_HEAD).one()
            self._held = (int(head.next_seq), str(head.chain_hash))
        return self._held

    def _append(self, events: Sequence[Appended], *, readings: bool = False) -> list[int]:
        """Seal ``events`` after the ledger's head (locked until the transaction ends) and
        write them (``held_events``: held until the connection's next statement or commit
        in a write transaction, inserted at once otherwise); their seqs."""
        seq, prev = self._head()
        rows: list[dict[str, Any]] = []
        for e in events:
            row = sealed_event(
                seq + len(rows), prev, self.clock(), e.actor or self.actor, e.action,
                subject_type=e.subject_type, subject_id=e.subject_id, case_id=e.case_id,
                body=dict(e.payload or {}),
            )  # fmt: skip
            rows.append(row)
            prev = row["chain_hash"]
        if self._holding is not None:
            self._holding.add(rows)
        else:
            write_events(self.conn, rows)
        self._held = (seq + len(rows), prev)
        for row in rows:
            if row["action"] not in READ_ACTIONS:
                if row["case_id"] is not None or not readings:
                    self.changed = True
        seqs = [int(r["seq"]) for r in rows]
        self.events.extend(seqs)
        return seqs

    def check_blobs_stored(self, stored: Callable[[str], bool]) -> None:
        """Before the commit: each blob whose row this transaction inserts is still stored.
        Asked holding the ledger's head, which ``liuhen gc`` holds while it deletes objects
        no row refers to: a blob found stored at ingest (not put again) may have gone since,
        and a row must never be committed without its blob (``Conflict``: store it again)."""
        if not self.blob_keys:
            return
        self.hold_head()
        for sha256 in self.blob_keys:
            if not stored(sha256):
                raise Conflict(
                    f"文件 {sha256[:16]}… 在登记前被存储清理（liuhen gc）删除，本次未保存："
                    "请重新上传或重试"
                )

    def assert_settled(self) -> None:
        if self._pending_rows:
            tables = sorted({r["table"] for r in self._pending_rows})
            raise RuntimeError(f"rows written without a ledger event: {tables}")
