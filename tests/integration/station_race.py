"""The worker of ``test_station_ledger.py``'s concurrency test: one process of many, each
with its own store on the same database, issuing or revoking station tokens the moment the
parent releases them all."""

from __future__ import annotations

from typing import Any

from liuhen.config import Settings


def issue_or_revoke(settings: Settings, start: Any, go: Any, work: list[tuple[str, str]]) -> list:
    """Wait for ``go``, then do each ``("add", name)`` or ``("revoke", station id)``; each
    one's outcome: ``("ok", id)`` or ``("conflict", message)``."""
    from tests.fixtures import DEMO_TIME, FakeClock
    from tests.helpers import SYSTEM

    from liuhen.errors import Conflict
    from liuhen.services.av.stations import add_station, revoke_station
    from liuhen.store.store import Store

    store = Store.open(settings, clock=FakeClock(DEMO_TIME))
    outcomes: list[tuple[str, str]] = []
    start.wait()
    go.wait()
    try:
        for kind, what in work:
            try:
                if kind == "add":
                    made, _token = add_station(store, SYSTEM, name=what, username="chendan")
                    outcomes.append(("ok", made.id))
                else:
                    outcomes.append(("ok", revoke_station(store, SYSTEM, what).id))
            except Conflict as exc:
                outcomes.append(("conflict", exc.message))
    finally:
        store.close()
    return outcomes
