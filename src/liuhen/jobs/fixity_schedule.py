"""The fixity audit as a scheduled job of the web server (``liuhen serve``).

Every ``interval`` seconds a background thread runs ``run_fixity(due_only=True)``: only the
blobs past the cycle (``LIUHEN_FIXITY_CYCLE_DAYS``), oldest-verified first, at the configured
rate (``LIUHEN_FIXITY_RATE_MB``). Each run is a ledger event, as from the command line.
Stopping wakes the thread at once, even in the middle of a throttled run; a run cut short
records nothing (its blobs stay due for the next run).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.ledger.events import Actor
from liuhen.services.archiving.fixity import FixityReport, run_fixity
from liuhen.store.database import refresh_statistics
from liuhen.store.store import Store

log = logging.getLogger(__name__)
ACTOR = Actor.system("定期复核（服务器计划任务）")


class _Stopped(Exception):
    pass


class FixityScheduler:
    def __init__(self, store: Store, interval: float, *, limit: int | None = None) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.store = store
        self.interval = interval
        self.limit = limit
        self.runs = 0
        self.last: FixityReport | None = None
        self.last_error: str = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="liuhen-fixity", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _sleep(self, seconds: float) -> None:
        """The throttle's sleep: returns early, and aborts the run, when stopping."""
        if self._stop.wait(seconds):
            raise _Stopped

    def run_once(self) -> FixityReport | None:
        try:
            report = run_fixity(
                self.store, ACTOR, due_only=True, limit=self.limit, sleep=self._sleep
            )
        except _Stopped:
            return None
        except (LiuhenError, OSError) as exc:  # keep serving; the next run tries again
            self.last_error = str(exc)
            log.warning("scheduled fixity audit failed: %s", exc)
            return None
        self.runs += 1
        self.last = report
        if not report.ok:
            log.warning("fixity audit found %d damaged blob(s)", len(report.damaged))
        return report

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()
            try:  # the planner's statistics follow the store's growth (SQLite only)
                refresh_statistics(self.store.engine)
            except LiuhenError as exc:
                log.warning("refreshing the database statistics failed: %s", exc)

    def status(self) -> dict[str, Any]:
        return {
            "interval_seconds": self.interval,
            "runs": self.runs,
            "alive": self.alive,
            "last": self.last.to_dict() if self.last else None,
            "last_error": self.last_error,
        }
