"""``Store.transaction``'s machinery: a unit of work in its batch (``write_group``) or in a
transaction of its own, rolled back alone when it fails, and what a commit is followed by.

On SQLite every write of the process goes through the write group: it runs as the first
unit of a new batch (the transaction itself) or under a savepoint in the batch that is
open. On PostgreSQL, with ``LIUHEN_WRITE_BATCH`` 1, and for a write opened inside a write
of the same thread, each unit is a transaction of its own (``write_group`` says why),
committed as its block ends. ``liuhen serve --workers`` N > 1 on SQLite sets 1 unless told:
several processes' batches wait for SQLite's lock in the driver's busy handler, one waiter
a process where there were a thread's each, and the lock sat free while they slept (two
processes wrote half as many posts a second as before, docs/performance.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError

from liuhen.ledger.checkpoint import Checkpoint
from liuhen.ledger.events import Actor
from liuhen.ledger.note import Note
from liuhen.store.blobs.base import BlobStore
from liuhen.store.checkpointing import Checkpointing
from liuhen.store.db_errors import explain
from liuhen.store.stored_tree import StoredTree
from liuhen.store.unit import Clock, Tx
from liuhen.store.write_group import Batch, WriteGroup

SAVEPOINT = "liuhen_unit"
"""The savepoint of a unit after a batch's first (one at a time: the name is reused)."""


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
        self._shared = engine.dialect.name == "sqlite" and max_units > 1
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
            tx = Tx(batch.conn, actor, self._clock, batch.head)
            savepoint = not first
            try:  # (a SAVEPOINT that fails is undone too: the batch's others wait on it)
                if savepoint:  # the driver's SQL: begin_nested compiled SAVEPOINT each time
                    batch.conn.exec_driver_sql(f"SAVEPOINT {SAVEPOINT}")
                yield tx
                tx.assert_settled()
                tx.check_blobs_stored(self._blobs.exists)
                if savepoint:
                    batch.conn.exec_driver_sql(f"RELEASE SAVEPOINT {SAVEPOINT}")
            except BaseException:
                self._undo(batch, savepoint, alone=alone)
                raise
            if alone:
                batch.members.append(tx)
                self._commit(batch)
                self.group.count(batch)
            else:
                self.group.leave(batch, tx)
        except DBAPIError as exc:
            explained = explain(exc)
            if explained is None:
                raise
            raise explained from exc
        finally:
            self._local.depth = depth

    def _begin(self) -> tuple[Connection, RootTransaction]:
        conn = self._engine.connect()
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
                batch.conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
                batch.conn.exec_driver_sql(f"RELEASE SAVEPOINT {SAVEPOINT}")
        finally:
            self.group.leave(batch, None)

    def _commit(self, batch: Batch) -> None:
        """Sign over the events of every unit of ``batch`` (as a checkpoint is due), commit
        it, and do what follows a commit: blobs settled, the checkpoint logged and sent."""
        txs = batch.members
        events = [seq for tx in txs for seq in tx.events]
        signed: tuple[Checkpoint, Note] | None = None
        try:
            if events:
                now = any(tx.sign_now for tx in txs)
                signed = self._signing.at_commit(batch.conn, min(events), max(events), now=now)
            batch.trans.commit()
            for tx in txs:  # what follows may fail: its writes stand all the same
                tx.committed = True
        except BaseException:
            self._tree.forget()
            with suppress(DBAPIError):
                batch.trans.rollback()
            raise
        finally:
            batch.conn.close()
        blob_keys = [key for tx in txs for key in tx.blob_keys]
        if blob_keys:  # registered: no longer a crash's orphan (blobs.pending)
            self._blobs.settle(blob_keys)
        if any(tx.changed for tx in txs):
            self._changed()
        if events:
            self._signing.after_commit(signed, True)
