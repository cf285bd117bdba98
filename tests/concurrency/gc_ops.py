"""Operations the gc concurrency test races (module-level, so the harness's processes can
import them): one process reclaims unreferenced objects while others store the same bytes."""

from __future__ import annotations

import io
import random
import time
from datetime import timedelta

from liuhen.errors import Conflict
from liuhen.ledger.events import Actor
from liuhen.store.store import Store

OPERATOR = Actor(id=None, label="命令行操作员（并发）", roles=("admin",))
WRITER = Actor.system("并发写入")
TRIES = 10
PAUSE = 0.005
"""Seconds a writer waits before each file."""


def gc_delete(store: Store, grace_hours: float) -> tuple[int, int]:
    """``liuhen gc --delete --yes``: list, then reclaim; (removed, kept)."""
    from liuhen.services.archiving.gc import reclaim, unreferenced

    done = reclaim(store, OPERATOR, unreferenced(store, timedelta(hours=grace_hours)))
    return len(done.removed), len(done.kept)


def store_all(store: Store, contents: list[bytes], seed: int) -> int:
    """Store and register each of ``contents`` (in an order of this process's own), as an
    operator would: a write refused because gc took the bytes meanwhile is tried again.
    Returns how many writes were refused."""
    from liuhen.services.cases.files import store_file

    order = list(contents)
    random.Random(seed).shuffle(order)
    refused = 0
    for data in order:
        time.sleep(PAUSE)  # files come one by one: gc gets its turn at SQLite's write lock
        for _ in range(TRIES):
            try:
                store_file(store, WRITER, io.BytesIO(data))
                break
            except Conflict:
                refused += 1
        else:
            raise AssertionError(f"stored nothing after {TRIES} tries")
    return refused


def gc_or_store(store: Store, role: str, contents: list[bytes], seed: int) -> object:
    """One racer of the gc test: ``gc`` reclaims (grace one hour), ``store`` stores all."""
    if role == "gc":
        return gc_delete(store, 1.0)
    return store_all(store, contents, seed)
