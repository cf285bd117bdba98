"""Fewer garbage collections while ``verify`` reads the ledger (``fewer_collections``).

Reading ten million events makes ten million row tuples, each alive only while its page of
5,000 is checked. With CPython's default threshold (a young collection every 700 new
container objects) every row is traversed by a young collection while its page is alive,
and again in the older generations it is promoted to: about a tenth of ``verify``'s CPU on
PostgreSQL (docs/performance.md, issue 15's seventh round). With the young threshold at
``YOUNG`` a collection comes every ~20 pages, and most rows are freed (by reference count,
as nothing makes a cycle of them) before any collection sees them. Collections still run:
memory stays bounded for the process's other threads. The thresholds are the process's;
they are restored when the last reader that raised them ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 100_000
"""The young generation's threshold while a reader runs (CPython's default: 700)."""

_lock = threading.Lock()
_readers = 0
_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Within: the young generation collected every ``YOUNG`` new objects (never more
    often than it was); after the last concurrent reader: the thresholds as they were."""
    global _readers, _saved
    with _lock:
        if _readers == 0:
            _saved = gc.get_threshold()
            young, *older = _saved
            gc.set_threshold(max(young, YOUNG), *older)
        _readers += 1
    try:
        yield
    finally:
        with _lock:
            _readers -= 1
            if _readers == 0:
                gc.set_threshold(*_saved)
