"""The job runner of one node: a worker thread that claims the cluster's jobs from the
database (``store/job_rows.py``) one at a time, runs each, writes its progress to its row
(at most every ``PROGRESS_EVERY`` seconds, so every node's page shows it) and renews its
lease while it runs; and makes the rows of the scheduled jobs whose slot has begun (one
node's insert wins each slot; any node then runs it).

Every ``liuhen serve`` node runs one (``web/app.py``); ``liuhen jobs run`` runs one from
the command line. Two runners never run one job at once: the database hands each waiting
job to one of them. A runner that stops hands back the job it was running (it waits for
the next claim); a node that dies leaves its lease to expire, and another node retries the
job (``max_attempts``), then fails it with a message.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.jobs.model import JobContext, JobView, Stopped
from liuhen.store import job_rows
from liuhen.store.store import Store

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
"""How long a claim holds without a word from its node (renewed every quarter of it)."""
PROGRESS_EVERY = 1.0
"""Seconds between two progress writes of one job."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Handler = Callable[[JobContext], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Schedule:
    """A job of ``kind`` once every ``every``, in slots aligned to the epoch (UTC)."""

    kind: str
    every: timedelta
    args: Mapping[str, Any] | None = None

    def slot(self, now: datetime) -> datetime:
        seconds = max(1, int(self.every.total_seconds()))
        elapsed = int((now - _EPOCH).total_seconds())
        return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def node_name() -> str:
    """This runner's name in the job rows: host, process and a tag of its own."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobRunner:
    def __init__(
        self,
        store: Store,
        handlers: Mapping[str, Handler],
        *,
        schedules: Iterable[Schedule] = (),
        node: str | None = None,
        lease: timedelta = LEASE,
        poll: float = 2.0,
    ) -> None:
        self.store = store
        self.handlers = dict(handlers)
        self.schedules = list(schedules)
        self.node = node or node_name()
        self.lease = lease
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = False
        self._slots: dict[str, datetime] = {}

    # -- asking ------------------------------------------------------------------------
    def submit(
        self,
        kind: str,
        key: str,
        args: Mapping[str, Any],
        *,
        case_id: str | None = None,
        requested_by: str | None = None,
    ) -> JobView:
        """Queue a job of ``kind`` under ``key`` (the one waiting or running is returned as
        it is) and wake this node's worker."""
        if kind not in self.handlers:
            raise ValueError(f"unknown job kind {kind!r}")
        row, _made = job_rows.enqueue(
            self.store.engine,
            self.store.clock(),
            kind=kind,
            key=key,
            args=dict(args),
            case_id=case_id,
            requested_by=requested_by,
        )
        self.wake()
        return JobView.of(row)

    def wake(self) -> None:
        """A job was queued: claim it now. A worker this starts (the app not serving: a
        test, a script) ends once no job waits."""
        with self._lock:
            self._wake.set()
            self._begin()

    def get(self, key: str) -> JobView | None:
        return self.latest([key]).get(key)

    def latest(self, keys: Iterable[str]) -> dict[str, JobView]:
        with self.store.read() as conn:
            rows = job_rows.latest(conn, keys)
        return {key: JobView.of(row) for key, row in rows.items()}

    def wait(self, key: str, timeout: float = 60.0) -> JobView | None:
        """Block until the newest job of ``key`` has ended (for the command line and tests)."""
        until = time.monotonic() + timeout
        while True:
            job = self.get(key)
            if job is None or not job.active or time.monotonic() > until:
                return job
            time.sleep(0.05)

    # -- the worker --------------------------------------------------------------------
    def start(self) -> None:
        """Serve: claim jobs and make the scheduled ones until ``stop``."""
        with self._lock:
            self._serving = True
            self._begin()

    def _begin(self) -> None:
        if self._stop.is_set() or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="liuhen-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; the running job is handed back (or finishes within ``timeout``)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._serving:
                    self.make_scheduled()
                ran = self.run_one()
            except LiuhenError as exc:  # the database away: try again after a pause
                log.warning("job runner: %s", exc.message)
                ran = False
            except Exception:  # a runner must outlive any one failure
                log.exception("job runner failed")
                ran = False
            if not ran:
                with self._lock:
                    if not self._serving and not self._wake.is_set():
                        self._thread = None  # woken only: done until the next wake
                        return
                self._wake.wait(self.poll)
                self._wake.clear()

    def make_scheduled(self) -> int:
        """Insert the row of each schedule's current slot, once per slot on this node;
        the number this node made (the others' inserts did nothing)."""
        made = 0
        now = self.store.clock()
        for schedule in self.schedules:
            slot = schedule.slot(now)
            if self._slots.get(schedule.kind) == slot:
                continue
            args = dict(schedule.args or {})
            made += job_rows.schedule(self.store.engine, now, schedule.kind, slot, args)
            self._slots[schedule.kind] = slot
        return made

    def run_one(self) -> bool:
        """Claim one job and run it to its end; False when there was none to claim."""
        store = self.store
        job = job_rows.claim(store.engine, store.clock(), self.node, self.lease, self.handlers)
        if job is None:
            return False
        ctx = JobContext(store, job, self._reporter(job), self._stop)
        outcome: dict[str, Any] = {}
        worker = threading.Thread(
            target=self._work, args=(ctx, outcome), name=f"liuhen-jobs-{job['kind']}", daemon=True
        )
        worker.start()
        while worker.is_alive():  # this thread keeps the lease while the work runs
            worker.join(self.lease.total_seconds() / 4)
            if worker.is_alive():
                job_rows.renew(store.engine, [job], store.clock() + self.lease)
        self._end(job, outcome)
        return True

    def _work(self, ctx: JobContext, outcome: dict[str, Any]) -> None:
        try:
            outcome["result"] = self.handlers[ctx.job["kind"]](ctx) or {}
        except Stopped:
            outcome["stopped"] = True
        except LiuhenError as exc:
            outcome["error"] = exc.message
        except Exception as exc:  # a job's failure must not end the worker
            log.exception("job %s (%s) failed", ctx.job["id"], ctx.job["kind"])
            outcome["error"] = f"内部错误（{type(exc).__name__}），请查看服务器日志"

    def _end(self, job: dict[str, Any], outcome: dict[str, Any]) -> None:
        engine, now = self.store.engine, self.store.clock()
        if outcome.get("stopped"):
            job_rows.release(engine, job)
        elif "error" in outcome:
            job_rows.finish(engine, now, job, error=outcome["error"])
        elif not job_rows.finish(engine, now, job, result=outcome.get("result")):
            log.warning("job %s ended after another node took it over", job["id"])

    def _reporter(self, job: dict[str, Any]) -> Callable[[float, str], None]:
        last = [0.0]

        def report(share: float, step: str = "") -> None:
            if time.monotonic() - last[0] < PROGRESS_EVERY:
                return
            last[0] = time.monotonic()
            lease_until = self.store.clock() + self.lease
            job_rows.report(self.store.engine, job, share, step, lease_until)

        return report
