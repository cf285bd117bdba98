"""Work the web server does after answering: long checks (a 四性检测 packages the whole
case, ~30 s for a case with hours of footage) run on one worker thread, one at a time (the
machine has few cores and the work is disk-bound), so the request that asked returns at
once and the page shows the job's state until its result is on the ledger.

A job has a key (one per case and kind): asking again while it waits or runs returns the
same job. Results live on the ledger, not here: this registry only knows what is running
and how the last run of each key ended (an error message in Chinese), and forgets it all
when the server stops.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.errors import LiuhenError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATE_NAMES = {QUEUED: "排队中", RUNNING: "进行中", DONE: "已完成", FAILED: "未完成"}


@dataclass
class Job:
    key: str
    label: str
    submitted_at: datetime
    state: str = QUEUED
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str = ""
    result: Any = None
    progress: float = 0.0
    """The share of the work done (0..1), as the work reports it (``BackgroundJobs.reporter``)."""

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def percent(self) -> int:
        return 100 if self.state == DONE else int(self.progress * 100)


class BackgroundJobs:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._work: dict[str, Callable[[], Any]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, key: str, label: str, work: Callable[[], Any]) -> Job:
        """Queue ``work`` under ``key``, unless a job of that key waits or runs already."""
        with self._lock:
            current = self._jobs.get(key)
            if current is not None and current.active:
                return current
            job = Job(key=key, label=label, submitted_at=self._clock())
            self._jobs[key] = job
            self._work[key] = work
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="liuhen-jobs", daemon=True)
                self._thread.start()
        self._queue.put(key)
        return job

    def reporter(self, key: str) -> Callable[[float], None]:
        """A function the work of ``key`` calls with the share done (0..1) now and then."""

        def report(share: float) -> None:
            with self._lock:
                job = self._jobs.get(key)
                if job is not None:
                    job.progress = max(0.0, min(1.0, share))

        return report

    def get(self, key: str) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def wait(self, key: str, timeout: float = 60.0) -> Job | None:
        """Block until the job of ``key`` has ended (for the command line and tests)."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            job = self.get(key)
            if job is None or not job.active:
                return job
            time.sleep(0.05)
        return self.get(key)

    def stop(self, timeout: float = 10.0) -> None:
        """Let the running job finish (up to ``timeout``); queued ones are dropped."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            key = self._queue.get()
            if key is None:
                return
            with self._lock:
                job, work = self._jobs[key], self._work.pop(key)
                job.state, job.started_at = RUNNING, self._clock()
            try:
                result = work()
            except LiuhenError as exc:
                self._end(job, FAILED, error=exc.message)
            except Exception as exc:  # a background failure must not end the worker
                log.exception("background job %s failed", key)
                self._end(job, FAILED, error=f"内部错误（{type(exc).__name__}），请查看服务器日志")
            else:
                self._end(job, DONE, result=result)

    def _end(self, job: Job, state: str, *, error: str = "", result: Any = None) -> None:
        with self._lock:
            job.state, job.finished_at = state, self._clock()
            job.error, job.result = error, result
