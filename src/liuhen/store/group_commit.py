"""Group commit of reading events: many views, one transaction, one signed checkpoint.

Every view of a case, every download and every list or dashboard shown is a ledger event
(000§18 实时调阅留痕), and a busy office reads all day. Written in a transaction each, every
page costs a commit (an fsync of the database log), a signed checkpoint (an fsync of the
checkpoint log) and, on SQLite, the write lock for as long as both take. ``GroupCommit``
hands these events to one writer thread per process, which writes whatever has queued
meanwhile, up to ``max_batch`` events, in one transaction with one checkpoint.

**The batch is taken once the writer holds the ledger's lock.** Several processes (the
nodes of a cluster, a CLI import beside the server) each have a writer thread, and all of
them append after the one ledger head. A writer opens its transaction, waits for the head
(on SQLite the write lock at BEGIN, on PostgreSQL the head row), and only then takes what
has queued: the longer it waited for the others, the more it writes at once. Taken before
the lock, four busy processes wrote four times as many small batches, each waiting its turn.

**What "durable" means for a view.** The thread that records a view waits until the
transaction holding its event has committed (and, with ``LIUHEN_CHECKPOINT_MS`` 0, the
checkpoint over it is in the checkpoint log; with an interval, a checkpoint covers it within
the interval: ``checkpointing``); only then does it get the event's seq and go on to send
what was viewed. So nothing
leaves the server without its event on the ledger, even if the server dies the next moment,
and when the write fails the request fails and shows nothing. Batching changes only how many
views share a commit: an idle server writes a lone view at once (no timer, no added wait);
under load, the views that arrive while one batch commits go together in the next.

A thread must not wait for its view while it holds a write transaction of its own: on SQLite
the writer thread would wait for that transaction's lock (``Store.record_view`` refuses).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.store.unit import Tx


@dataclass
class ReadEvent:
    """One event waiting for its batch; ``seq`` or ``error`` is set when ``done``."""

    actor: Actor
    action: str
    subject_type: str
    subject_id: str
    case_id: str | None = None
    payload: Mapping[str, Any] | None = None
    seq: int | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    tx: Tx | None = None
    """The transaction that wrote it (``committed`` once it has: then it is never written
    again, whatever failed after the commit)."""


class GroupCommit:
    """One writer thread that writes queued events with ``write(take)``: one transaction
    that, once it holds the ledger's lock, calls ``take()`` for the events to write and sets
    each one's ``seq``. A batch that failed before its commit is written again one event at
    a time, so one bad event fails only its own request; one that failed after it (its
    checkpoint's copy in the checkpoint log) is on the ledger, and only its readers are told;
    a transaction that could not begin (before taking a batch) fails the events queued."""

    def __init__(
        self,
        write: Callable[[Callable[[], list[ReadEvent]]], None],
        *,
        max_batch: int = 1024,
    ):
        self._write = write
        self._max_batch = max_batch
        self._queue: list[ReadEvent] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # how many transactions were written (for tests and benchmarks)

    def submit(self, event: ReadEvent) -> int:
        """Queue ``event`` and wait until it is committed; return its seq."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the store is closed: no more events can be written")
            self._queue.append(event)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="liuhen-group-commit", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        event.done.wait()
        if event.error is not None:
            raise event.error
        assert event.seq is not None
        return event.seq

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
            taken: list[ReadEvent] = []
            self._commit(partial(self._take, taken), taken)

    def _take(self, taken: list[ReadEvent]) -> list[ReadEvent]:
        """Move up to ``max_batch`` queued events into ``taken`` (the writer's transaction
        calls it once it holds the ledger's lock) and return them."""
        with self._cond:
            taken[:] = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        return taken

    def _commit(self, take: Callable[[], list[ReadEvent]], taken: list[ReadEvent]) -> None:
        try:
            self._write(take)
            self.batches += 1
        except BaseException as exc:  # noqa: BLE001  (handed to the waiting request)
            if not taken:  # it failed before taking a batch (could not begin, or have the
                self._take(taken)  # head): those queued fail now, not in a loop of retries
            elif not any(e.tx is not None and e.tx.committed for e in taken):
                for event in taken:  # (when it did, they are on the ledger: never twice)
                    event.seq = None
                if len(taken) > 1:
                    for event in taken:
                        self._commit(partial(list, (event,)), [event])
                    return
            for event in taken:
                event.error = exc
        for event in taken:
            event.done.set()
