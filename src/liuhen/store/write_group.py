"""Group commit of write transactions: the units of work that this process's threads begin
while another's is under way share one database transaction, each under a savepoint.

Every write appends ledger events after the one ledger head, so writes are serialised: on
SQLite by the write lock taken at ``BEGIN IMMEDIATE``, on PostgreSQL by the head's row lock
from the first event to the commit. Each in a transaction of its own, a write costs a commit
(an fsync of the database log), a checkpoint (with ``LIUHEN_CHECKPOINT_MS`` 0, a signature
and an fsync of the checkpoint log) and, on SQLite, a wait for the lock that the driver's
busy handler polls in sleeps of up to 100 ms. Adding request threads added nothing.

``WriteGroup`` runs the units of one process one after another on one connection, in one
database transaction (a *batch*): the first unit as the transaction itself, each later one
under a ``SAVEPOINT`` taken by its first statement (a unit that fails is rolled back to it
and fails alone: the units before and after it commit). Their ledger events wait in
``held_events`` until the connection's next statement or the commit, so a batch inserts
them together. A unit that ends with nobody waiting to run one commits the batch (its
checkpoint over every unit's events), and only then does any unit of the batch return: each
write is durable, and signed over as ``checkpointing`` says, when its caller goes on, as
before. A lone write is a batch of one: no savepoint, no wait. Under load, the writes that
arrive while a batch runs wait for their turn in it, not for a commit each.

Units run strictly one after another, each seeing what the units before it wrote, so what
a write decides under its locks it decides as it would alone, in the order the batch ran
them. A batch ends after ``max_units`` units or once ``max_open_s`` have passed since its
first unit ended, so the first unit's caller waits a bounded time. A thread that opens a
write transaction inside its own (``Store.transaction`` nested) gets a connection of its
own, as before, and a thread that waits ``WAIT_S`` for its turn is told the store is busy,
as SQLite's busy timeout would have told it.

**PostgreSQL's row locks.** SQLite has one lock, the whole database's, which a batch takes
once. On PostgreSQL writers lock rows (a case, an approval, the ledger's head), and a batch
holds the head from its first event to its commit: a later unit that waited there for a row
that another node's transaction holds while that transaction waits for the head would be a
deadlock, which PostgreSQL breaks after a second by rolling one of them back (the whole
batch, perhaps). So the batch holds the head before its second unit begins, and its later
units wait ``writes.LOCK_WAIT_MS`` at most for a row lock: a unit that has neither locked
nor written anything yet steps out (``step_out``: the batch commits without it, and it goes
on in a transaction of its own on the same connection, where it waits as any transaction
would); one that has fails alone, "另一操作正在修改同一记录", and saves nothing. The first
unit of a batch is a transaction of its own in every way, and takes its locks in the one
order the services keep (``Tx.lock``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, RootTransaction

from liuhen.errors import Unavailable
from liuhen.store.held_events import HeldEvents
from liuhen.store.unit import Tx

MAX_UNITS = 64
"""Units of work in one batch at most (``LIUHEN_WRITE_BATCH``; 1: each its own)."""
MAX_OPEN_S = 0.01
"""Seconds a batch takes in further units after it began: past it, the unit that ends
commits (the first write of a busy batch waits about this long more than it would alone)."""
WAIT_S = 30.0
"""Seconds a unit waits for its turn before it gives up (SQLite's own busy timeout)."""


@dataclass
class Batch:
    """One database transaction shared by units of work; ``members`` are the units that
    ended well, ``done`` is set once it committed (or failed: ``error``)."""

    conn: Connection
    trans: RootTransaction
    began: float = field(default_factory=time.monotonic)
    units: int = 0
    members: list[Tx] = field(default_factory=list)
    head: tuple[int, str] | None = None  # the ledger's head as the last member left it
    held: HeldEvents | None = None  # its events not yet inserted (``held_events``)
    keep_open: bool = False  # its connection goes on after the commit (``step_out``)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class WriteGroup:
    """The batches of one process (see the module docstring). ``open`` begins a database
    transaction (waiting for the write lock on SQLite); ``commit`` commits a batch and does
    what follows a commit (the checkpoint log, the witnesses)."""

    def __init__(
        self,
        open: Callable[[], tuple[Connection, RootTransaction]],
        commit: Callable[[Batch], None],
        *,
        max_units: int = MAX_UNITS,
        max_open_s: float = MAX_OPEN_S,
    ) -> None:
        self._open, self._commit = open, commit
        self.max_units, self.max_open_s = max_units, max_open_s
        self._cond = threading.Condition()
        self._batch: Batch | None = None
        self._busy = False  # a thread uses the batch's connection (a unit, a begin, a commit)
        self._waiting = 0  # threads waiting for their turn to run a unit
        self.batches = 0  # batches committed (tests, benchmarks)
        self.units = 0  # units of work committed in them
        self.stepped_out = 0  # units that left their batch for a lock (``step_out``)

    def join(self) -> tuple[Batch, bool]:
        """Wait for this thread's turn and return the batch its unit runs in, and whether
        it is the batch's first unit (then it runs as the transaction itself: no savepoint;
        its failure rolls back the transaction, which holds nothing else yet)."""
        with self._cond:
            self._waiting += 1
            try:
                if not self._cond.wait_for(lambda: not self._busy, WAIT_S):
                    self._cond.notify()  # a turn given to this thread goes to the next
                    raise Unavailable(
                        f"数据库繁忙：等待写入超过 {WAIT_S:.0f} 秒，未保存任何内容，请稍后重试"
                    )
            finally:
                self._waiting -= 1
            self._busy = True
            batch = self._batch
        if batch is not None:
            batch.units += 1
            return batch, False
        try:
            conn, trans = self._open()
        except BaseException:
            self._release()
            raise
        batch = Batch(conn, trans, units=1)
        with self._cond:
            self._batch = batch
        return batch, True

    def abandon(self, batch: Batch) -> None:
        """The batch's first unit failed: its transaction was rolled back, nobody else is
        in it; the next unit begins a new one."""
        with self._cond:
            self._batch = None
        self._release()

    def leave(self, batch: Batch, member: Tx | None) -> None:
        """This thread's unit has ended (``member``: its ``Tx``, or None when it failed and
        was rolled back to its savepoint). Hand the connection to the next waiting unit and
        wait for the batch's commit, or commit it now; raise what failed the commit."""
        if member is not None:
            if batch.units == 1:  # further units are taken in for max_open_s from here
                batch.began = time.monotonic()
            batch.members.append(member)
            batch.head = member.head or batch.head
        with self._cond:
            full = (
                batch.units >= self.max_units
                or time.monotonic() - batch.began >= self.max_open_s
                or (member is not None and member.sign_now)  # a checkpoint asked for (rotation)
            )
            if self._waiting and not full:
                self._busy = False  # the batch stays open for the next unit
                self._cond.notify()  # one: any waiting unit may take the turn
                commit = False
            else:
                self._batch = None  # later units wait (busy) for a new batch
                commit = True
        if commit:
            self._finish(batch)
        else:
            batch.done.wait()
        if batch.error is not None and member is not None:
            raise batch.error

    def step_out(self, batch: Batch) -> None:
        """The running unit leaves ``batch`` before it ends (``Writes._step_out``): commit
        the batch now with the units that ended, whoever waits for a turn (they begin a
        new one); raise what failed the commit."""
        with self._cond:
            self._batch = None
            self.stepped_out += 1
        self._finish(batch)
        if batch.error is not None:
            raise batch.error

    def _finish(self, batch: Batch) -> None:
        """Commit ``batch``, tell its units, and give the turn to the next."""
        try:
            self._commit(batch)
        except BaseException as exc:
            batch.error = exc
        finally:
            if batch.error is None:
                self.count(batch)
            batch.done.set()
            self._release()

    def count(self, batch: Batch) -> None:
        """Count ``batch`` as committed (a transaction of its own counts here too)."""
        with self._cond:
            self.batches += 1
            self.units += len(batch.members)

    def _release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify()
