"""``Store.transaction``'s machinery: a unit of work in its batch (``write_group``) or in a
transaction of its own, rolled back alone when it fails, and what a commit is followed by.

Every write of the process goes through the write group: it runs as the first unit of a new
batch (the transaction itself) or after the units before it in the batch that is open, on
SQLite and on PostgreSQL (where a later unit steps out of a batch rather than wait there for
a row lock: ``write_group``, ``_step_out``). With ``LIUHEN_WRITE_BATCH`` 1, and for a write
opened inside a write of the same thread, each unit is a transaction of its own, committed
as its block ends. ``liuhen serve --workers`` N > 1 on SQLite sets 1 unless told: several
processes' batches wait for SQLite's lock in the driver's busy handler, one waiter a process
where there were a thread's each, and the lock sat free while they slept (two processes
wrote half as many posts a second as before, docs/performance.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError

from liuhen.ledger.checkpoint import Checkpoint
from liuhen.ledger.events import Actor
from liuhen.ledger.note import Note
from liuhen.store import held_events
from liuhen.store.blobs.base import BlobStore
from liuhen.store.checkpointing import Checkpointing
from liuhen.store.db_errors import explain
from liuhen.store.event_append import Appending
from liuhen.store.held_events import HeldEvents, WriteConnection, write_events
from liuhen.store.stored_tree import StoredTree
from liuhen.store.unit import Clock, Tx
from liuhen.store.write_group import Batch, WriteGroup

LOCK_WAIT_MS = 10
"""How long a later unit of a PostgreSQL batch waits for a row lock before it leaves the
batch (``Writes._step_out``): any wait there is likely for a transaction that waits for the
batch's head."""


@dataclass
class Unit:
    """Where a unit of work runs: its batch, whether it is the batch's first (its
    transaction) and whether it is alone in it (committed as its block ends)."""

    batch: Batch
    first: bool
    alone: bool

    @property
    def held(self) -> HeldEvents:
        assert self.batch.held is not None
        return self.batch.held


class Writes:
    """The write transactions of one ``Store`` (its engine, clock, blobs, checkpoint
    signing and stored tree; ``changed`` counts a transaction that changed something);
    ``group`` is its write group."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        blobs: BlobStore,
        signing: Checkpointing,
        tree: StoredTree,
        changed: Callable[[], None],
        max_units: int,
    ) -> None:
        self._engine, self._clock, self._blobs = engine, clock, blobs
        self._signing, self._tree, self._changed = signing, tree, changed
        self._local = threading.local()  # how deep this thread is in write transactions
        self._shared = max_units > 1
        # PostgreSQL: row locks (``_step_out``) and round trips (``event_append``)
        self._postgres = engine.dialect.name == "postgresql"
        held_events.watch(engine)
        self.group = WriteGroup(self._begin, self._commit, max_units=max_units)

    @property
    def depth(self) -> int:
        """How many write transactions this thread has open (0: none)."""
        return int(getattr(self._local, "depth", 0))

    @contextmanager
    def transaction(self, actor: Actor) -> Iterator[Tx]:
        depth = self.depth
        self._local.depth = depth + 1
        try:
            alone = bool(depth) or not self._shared
            batch, first = (Batch(*self._begin(), units=1), True) if alone else self.group.join()
            unit = Unit(batch, first, alone)
            try:  # (a SAVEPOINT that fails is undone too: the batch's others wait on it)
                tx = self._enter(unit, actor)
                yield tx
                tx.assert_settled()
                tx.check_blobs_stored(self._blobs.exists)
                if not unit.first:
                    unit.held.end_unit(unit.batch.conn, ok=True)
            except BaseException:
                self._undo(unit.batch, not unit.first, alone=unit.alone)
                raise
            if unit.alone:
                unit.batch.members.append(tx)
                self._commit(unit.batch)
                self.group.count(unit.batch)
            else:
                self.group.leave(unit.batch, tx)
        except DBAPIError as exc:
            explained = explain(exc)
            if explained is None:
                raise
            raise explained from exc
        finally:
            self._local.depth = depth

    def _enter(self, unit: Unit, actor: Actor) -> Tx:
        """The unit's ``Tx``: the batch's first holds the events of the batch; a later one
        takes its savepoint with its first statement and, on PostgreSQL, waits for a row
        lock ``LOCK_WAIT_MS`` at most, then leaves the batch (``_step_out``)."""
        batch = unit.batch
        if batch.held is None:  # the first unit: its transaction has just begun
            batch.held = held_events.hold(batch.conn)
        if not unit.first:
            if self._postgres:
                if batch.head is None:  # the batch holds the head before any bound is set
                    batch.head = Tx(batch.conn, actor, self._clock, None, batch.held).hold_head()
                batch.held.lock_wait_ms = LOCK_WAIT_MS
            batch.held.begin_unit()
        tx = Tx(batch.conn, actor, self._clock, batch.head, batch.held)
        if not unit.first and self._postgres:
            batch.held.step_out = lambda: self._step_out(unit, tx)
        return tx

    def _step_out(self, unit: Unit, tx: Tx) -> None:
        """A later unit waited past ``LOCK_WAIT_MS`` for a row lock before it locked or
        wrote anything: the holder may be another node's transaction waiting for the ledger's
        head, which this batch holds (each would wait for the other until PostgreSQL broke
        the deadlock by rolling one back, a whole batch perhaps). The unit is rolled back to
        its savepoint, the batch commits with the units that ended, and the unit goes on in
        a transaction of its own on the same connection, where it may wait."""
        batch = unit.batch
        unit.held.end_unit(batch.conn, ok=False)
        unit.first = unit.alone = True  # whatever fails from here fails the unit alone
        batch.keep_open = True
        self.group.step_out(batch)
        own = Batch(batch.conn, batch.conn.begin(), units=1)
        own.held = held_events.hold(own.conn)
        unit.batch = own
        tx.moved(own.held)

    def _begin(self) -> tuple[Connection, RootTransaction]:
        conn = WriteConnection(self._engine) if self._postgres else self._engine.connect()
        try:
            return conn, conn.begin()
        except BaseException:
            conn.close()
            raise

    def _undo(self, batch: Batch, savepoint: bool, *, alone: bool) -> None:
        """A unit failed: roll it back (to its savepoint, or the whole transaction when it
        is the first, which holds nothing else) and let the batch go on without it. Whatever
        the rollback meets (a connection lost), the batch is let go: its other units wait
        on it, and the unit's own failure is what its caller is told."""
        if not savepoint:
            self._tree.forget()
            if batch.held is not None:
                held_events.release(batch.conn, batch.held)
            try:
                with suppress(Exception):  # a lost connection has nothing to roll back
                    batch.trans.rollback()
                with suppress(Exception):
                    batch.conn.close()
            finally:
                if not alone:
                    self.group.abandon(batch)
            return
        try:
            with suppress(Exception):  # lost: the batch's commit fails, and says so to all
                if batch.held is not None:
                    batch.held.end_unit(batch.conn, ok=False)
        finally:
            self.group.leave(batch, None)

    def _appending(self, batch: Batch, events: list[int]) -> Appending | None:
        """The held events the commit's read of the leaves inserts (PostgreSQL: one round
        trip, ``event_append``); on SQLite they are inserted here, and None."""
        if batch.held is None:
            return None
        if self._postgres and events:
            rows = batch.held.take()
            return Appending(rows) if rows else None
        batch.held.flush(batch.conn)
        return None

    def _commit(self, batch: Batch) -> None:
        """Sign over the events of every unit of ``batch`` (as a checkpoint is due), commit
        it, and do what follows a commit: blobs settled, the checkpoint logged and sent."""
        txs = batch.members
        events = [seq for tx in txs for seq in tx.events]
        signed: tuple[Checkpoint, Note] | None = None
        try:
            appending = self._appending(batch, events)
            if events:
                now = any(tx.sign_now for tx in txs)
                signed = self._signing.at_commit(
                    batch.conn, min(events), max(events), now=now, appending=appending
                )
            if appending is not None and not appending.written:  # the leaves were not read
                write_events(batch.conn, appending.rows)
            batch.trans.commit()
            for tx in txs:  # what follows may fail: its writes stand all the same
                tx.committed = True
        except BaseException:
            self._tree.forget()
            with suppress(DBAPIError):
                batch.trans.rollback()
            raise
        finally:
            if batch.held is not None:
                held_events.release(batch.conn, batch.held)
            if not batch.keep_open:
                batch.conn.close()
        blob_keys = [key for tx in txs for key in tx.blob_keys]
        if blob_keys:  # registered: no longer a crash's orphan (blobs.pending)
            self._blobs.settle(blob_keys)
        if any(tx.changed for tx in txs):
            self._changed()
        if events:
            self._signing.after_commit(signed, True)
