"""The concurrency harness: N real processes, each with its own store (engine, connections)
on the same database, do one operation at the moment a barrier lets them all go.

``Racers.race(store, op, *args)`` runs ``op(store, *args)`` (a module-level function, so a
spawned process can import it) in every process at once and returns each one's outcome:
``"ok"`` or the ``code`` of the ``LiuhenError`` it met, and for anything else ``"crash"``
with the traceback (a test never expects that). The processes start once a session and are
reused: a race costs one store opening per process, not an interpreter start."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liuhen.config import Settings

RACERS = 4
"""Processes per race: two per core on the two-core machines the suite runs on."""


@dataclass
class Outcome:
    code: str
    """``ok``, a ``LiuhenError`` code (``conflict`` …), or ``crash``."""
    detail: str = ""
    """The return value's repr, the error's message, or the traceback of a crash."""


@dataclass
class Results:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def codes(self) -> Counter[str]:
        return Counter(o.code for o in self.outcomes)

    def values(self, code: str = "ok") -> list[str]:
        return [o.detail for o in self.outcomes if o.code == code]

    def __repr__(self) -> str:
        return "\n".join(f"{o.code}: {o.detail}" for o in self.outcomes)


def warm() -> int:
    """Import what every race needs, once a process (before the first barrier)."""
    import liuhen.services.approvals.workflow  # noqa: F401
    import liuhen.services.av.ingest  # noqa: F401
    import liuhen.services.cases.records  # noqa: F401
    import liuhen.store.store  # noqa: F401

    return 1


def run(
    settings: Settings, now: datetime, barrier: Any, op: Callable[..., Any], args: tuple[Any, ...]
) -> Outcome:
    """One racer: open a store, wait for the others, do ``op``, report how it went."""
    from liuhen.errors import LiuhenError
    from liuhen.store.store import Store
    from tests.fixtures import FakeClock

    store = Store.open(settings, clock=FakeClock(now))
    try:
        with store.read() as conn:  # a connection ready in the pool: the race starts at once
            conn.exec_driver_sql("SELECT 1")
        barrier.wait(timeout=60)
        try:
            return Outcome("ok", repr(op(store, *args)))
        except LiuhenError as exc:
            return Outcome(exc.code, exc.message)
        except BaseException:  # noqa: BLE001  (what the test must never see)
            return Outcome("crash", traceback.format_exc())
    finally:
        store.close()


class Racers:
    """The session's pool of racing processes and the manager that makes their barriers."""

    def __init__(self, pool: ProcessPoolExecutor, manager: Any, n: int = RACERS) -> None:
        self.pool, self.manager, self.n = pool, manager, n

    def race(self, store: Any, op: Callable[..., Any], *args: Any) -> Results:
        """Every process does ``op(store, *args)`` at once."""
        return self.race_each(store, op, [args] * self.n)

    def race_each(self, store: Any, op: Callable[..., Any], each: list[tuple[Any, ...]]) -> Results:
        """Process i does ``op(store, *each[i])``, all at once (at most ``n`` of them)."""
        assert len(each) <= self.n, "more racers than processes: the barrier would never open"
        barrier = self.manager.Barrier(len(each))
        futures = [
            self.pool.submit(run, store.settings, store.clock(), barrier, op, args) for args in each
        ]
        return Results([f.result(timeout=120) for f in futures])
