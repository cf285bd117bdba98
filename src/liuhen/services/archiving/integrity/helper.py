"""A second process that checks ranges of the ledger for ``verify`` (``Helper``), and the
check of one range apart from the scan (``check_range``), which the helper and the main
process both run.

The helper is a fresh interpreter (not a fork, which would copy the open database
connection and the fetching thread; not ``multiprocessing``'s spawn either, which imports
the parent's main module again and starts a tracker process: 40 MiB more), on two pipes;
it opens its own connection, reads in the main reading's snapshot when
the database can share one (PostgreSQL's exported snapshot; on SQLite the ranges it is
given lie below the newest event when the reading began, written once and never changed)
and answers each range with a ``RangeResult``: the leaves and what the scan keeps, all
recomputed, and the stored chain hash it started from, which the main process compares
with the chain it computed before taking anything. It is given at most ``AHEAD`` ranges at
a time, so what waits in memory is bounded. A helper that fails, dies or stops answering
for ``STALL`` seconds is ended and its ranges are checked in the main process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from liuhen.config import Settings
from liuhen.services.archiving.integrity.plain import LedgerScan, plain_run
from liuhen.services.archiving.integrity.young_objects import fewer_collections
from liuhen.services.archiving.queries.integrity import reading_ledger_apart
from liuhen.store.event_rows import LedgerReading

log = logging.getLogger("liuhen.verify")

AHEAD = 2
"""Ranges a helper is given before it has answered the first of them."""
STALL = 60.0
"""Seconds a helper may leave the main process waiting without a word: then it is ended
and its ranges are checked in the main process (a range takes well under a second)."""
_POLL = 0.25


@dataclass
class RangeResult:
    """A range of events checked apart: the first ``len(leaves) // 32`` events of it, each
    plain and checked in full from the chain hash stored in the event before the range
    (``start``), and what the scan keeps of them (``plain.plain_run``)."""

    start: str | None
    """The chain hash stored in the event before the range (None: none, or not text)."""
    leaves: bytes = b""
    prev: str | None = None
    """The chain hash of the last event taken (``start`` when none was)."""
    whole: bool = True
    """Whether every event of the range was taken (else the first one not taken, and the
    rest, are the main process's to check, finding by finding)."""
    changes: dict[str, int] = field(default_factory=dict)
    latest: dict[tuple[str, str], str] = field(default_factory=dict)
    genesis: dict[str, Any] | None = None
    rotations: list[tuple[int, Any]] = field(default_factory=list)
    witnesses: list[tuple[int, Any]] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return len(self.leaves) // 32


def check_range(reading: LedgerReading, low: int, high: int, below: int) -> RangeResult:
    """Check the events ``low <= seq < high`` in one plain run from the chain hash stored
    in event ``low - 1``, stopping at the first event it cannot take (``plain_run``: a
    damaged one, or the newest signed size's, whose time the main process notes)."""
    start = reading.chain_before(low)
    scan = LedgerScan(prev=start, expected=low)
    leaves: list[bytes] = []
    whole = True
    with contextlib.closing(reading.pages(low, high)) as pages:
        for page in pages:
            if plain_run(scan, reading, page, 0, below, into=leaves) < len(page):
                whole = False
                break
    return RangeResult(
        start,
        b"".join(leaves),
        scan.prev,
        whole,
        scan.changes,
        scan.latest,
        scan.genesis,
        scan.rotations,
        scan.witnesses,
    )


class Helper:
    """One helper process, its ranges given and not yet answered (in order), and the
    answers received and not yet taken."""

    def __init__(
        self, settings: Settings, snapshot: str | None, reading: LedgerReading, below: int
    ) -> None:
        if not sys.executable:
            raise OSError("no Python interpreter to start a helper with")
        tasks, self._tasks = _pipe()
        self._results, results = _pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _MAIN, str(tasks.fileno()), str(results.fileno())],
                pass_fds=(tasks.fileno(), results.fileno()),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # ``--json`` output is the main process's alone
                env={**os.environ, "PYTHONPATH": _path()},
            )
        except BaseException:
            self._tasks.close()
            self._results.close()
            raise
        finally:
            tasks.close()
            results.close()
        self.pending: deque[int] = deque()
        self.answered: dict[int, RangeResult] = {}
        self.failed: str | None = None
        with contextlib.suppress(OSError):  # a helper that died already: ``give`` says so
            self._tasks.send((settings, snapshot, reading.signed, below, reading.page))

    @property
    def pid(self) -> int:
        return self._process.pid

    def give(self, index: int, low: int, high: int) -> None:
        try:
            self._tasks.send((index, low, high))
        except OSError as exc:
            self._fail(f"无法向校验助手进程交付日志区段（{exc}）")
            return
        self.pending.append(index)

    def receive(self, *, wait: bool) -> None:
        """Take the answers that have come; with ``wait``, wait for one (at most ``STALL``
        seconds: then, or when the process has died or failed, it is ended, ``failed``
        says why and its ranges are left to the main process)."""
        deadline = time.monotonic() + STALL
        while self.failed is None and self.pending:
            try:
                if not self._results.poll(_POLL if wait else 0):
                    if time.monotonic() < deadline and wait:
                        continue
                    if wait:
                        self._fail(f"校验助手进程 {STALL:.0f} 秒无应答")
                    return
                message = self._results.recv()
            except (EOFError, OSError) as exc:  # it has exited, or died mid-message
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=1)
                code = self._process.returncode
                self._fail(f"校验助手进程意外退出（退出码 {code}，{type(exc).__name__}）")
                return
            except Exception as exc:  # noqa: BLE001 - an answer it cannot have meant
                self._fail(f"校验助手进程的应答无法读取（{type(exc).__name__}: {exc}）")
                return
            if message[0] != "range" or message[1] != self.pending[0]:
                self._fail(f"校验助手进程失败：{message[1]}")
                return
            self.pending.popleft()
            self.answered[message[1]] = message[2]
            wait = False

    def _fail(self, why: str) -> None:
        self.failed = why
        self.pending.clear()
        log.warning("%s：其余日志事件在本进程中校验", why)
        self.stop()

    def stop(self) -> None:
        """End the process: asked to, then killed if it has not ended within a few
        seconds (at once when it has failed)."""
        with contextlib.suppress(OSError):
            self._tasks.send(None)
        try:
            self._process.wait(timeout=5 if self.failed is None else 0)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._tasks.close()
        self._results.close()


def main() -> None:
    """The helper process (``python -c _MAIN TASKS RESULTS``, the pipes' descriptors): what
    to read comes first on the tasks pipe, then the ranges (``serve``)."""
    tasks = Connection(int(sys.argv[1]), writable=False)
    results = Connection(int(sys.argv[2]), readable=False)
    try:
        settings, snapshot, signed, below, page = tasks.recv()
    except EOFError:  # the main process is gone
        return
    serve(tasks, results, settings, snapshot, signed, below, page=page)


def serve(
    tasks: Connection,
    results: Connection,
    settings: Settings,
    snapshot: str | None,
    signed: int,
    below: int,
    *,
    page: int,
) -> None:
    """Check each range given on ``tasks`` (``check_range``) until told to stop (None) or
    the main process is gone; any failure is sent as one message. A thread sends the
    answers, so the next range is checked while one is on its way."""
    outbox: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
    sender = threading.Thread(target=_send, args=(outbox, results), name="liuhen-verify-send")
    sender.start()
    try:
        with fewer_collections(), reading_ledger_apart(settings, snapshot, signed, page) as reading:
            while (task := tasks.recv()) is not None:
                index, low, high = task
                outbox.put(("range", index, check_range(reading, low, high, below)))
    except EOFError:  # the main process is gone
        pass
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the main process says it
        outbox.put(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        outbox.put(None)
        sender.join()


def _send(outbox: queue.Queue[tuple[Any, ...] | None], results: Connection) -> None:
    while (message := outbox.get()) is not None:
        try:
            results.send(message)
        except OSError:  # the main process is gone
            return


_MAIN = "from liuhen.services.archiving.integrity.helper import main; main()"


def _pipe() -> tuple[Connection, Connection]:
    """A one-way pipe: (its reading end, its writing end)."""
    read, write = os.pipe()
    return Connection(read, writable=False), Connection(write, readable=False)


def _path() -> str:
    """The child's ``PYTHONPATH``: the folder this ``liuhen`` was imported from first, so
    the helper runs the same code whatever the parent added to its own path."""
    here = str(Path(__file__).resolve().parents[4])
    return os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])])
