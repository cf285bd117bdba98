"""The worker of ``test_signin_race.py``: one process of many, each with its own store
(engine, connections) on the same database, firing wrong passwords from several threads at
the moment the parent releases them all."""

from __future__ import annotations

import threading
from typing import Any

from liuhen.config import Settings


def attempts(settings: Settings, start: Any, go: Any, username: str, threads: int) -> list[str]:
    """Wait for ``go``, then try ``threads`` wrong passwords for ``username`` at once; each
    attempt's outcome: ``failed`` (the password was checked) or ``locked`` (it was not)."""
    from tests.fixtures import DEMO_TIME, FakeClock

    from liuhen.errors import AuthError
    from liuhen.services.admin.users import authenticate
    from liuhen.store.store import Store

    store = Store.open(settings, clock=FakeClock(DEMO_TIME))
    outcomes: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(threads + 1)

    def one() -> None:
        ready.wait()
        try:
            authenticate(store, username, "Wrong-pass-2026!")
            outcome = "signed_in"
        except AuthError as exc:
            outcome = "locked" if "锁定" in exc.message else "failed"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()  # every process has its threads waiting
    go.wait()
    ready.wait()
    for worker in workers:
        worker.join()
    store.close()
    return outcomes
