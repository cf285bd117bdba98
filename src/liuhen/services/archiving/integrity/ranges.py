"""The ledger check shared with a helper process (``helper.Helper``) on a large ledger.

The ledger is cut into ranges of ``RANGE`` events by seq, fixed when the reading begins
from the newest event it holds then (``LedgerReading.extent``). The first range (every event
below the first cut, whatever its seq) and the last (every event from the last cut on) are
read by the main process in place. Each range between goes to the helper or, while the
range the scan needs next is not back yet, is checked by the main process ahead of the
scan, in the same way (``helper.check_range``), so neither process waits for the other.

The scan takes the ranges strictly in order. A range's result is taken only when it
starts at the seq the scan expects and from the chain hash the scan computed last, so
nothing enters the scan that was not recomputed from the events; otherwise the range, and
always the events after the first one a result could not take (a damaged event, or the
newest signed size's), are read and checked in place (``Inline``): finding by finding,
exactly as without a helper. At most ``WINDOW`` ranges are out at once, so memory stays
bounded whatever the size of the ledger.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from liuhen.config import Settings
from liuhen.services.archiving.integrity.helper import AHEAD, Helper, RangeResult, check_range
from liuhen.services.archiving.integrity.plain import LedgerScan
from liuhen.store.event_rows import LedgerReading

log = logging.getLogger("liuhen.verify")

RANGE = 10_000
"""Events a range (two pages: ``event_rows.PAGE``; small, so that neither process waits
long for the other's last one)."""
HELPED = 200_000
"""With ``jobs`` not given, a ledger of more events than this is checked with a helper
when the machine has more than one CPU (starting one takes about a second)."""
WINDOW = 8
"""Ranges given out or checked ahead and not yet taken by the scan, at most (and
``AHEAD`` more for each helper after the first)."""

Inline = Callable[[int | None, int | None, bool], None]
"""Read and check in place the events ``low <= seq < high`` (``low < seq`` when the third
argument is true; None: no bound), finding by finding (``ledger.check_ledger``)."""


def check_in_ranges(
    settings: Settings,
    scan: LedgerScan,
    reading: LedgerReading,
    below: int,
    jobs: int | None,
    inline: Inline,
) -> None:
    """Check every event into ``scan``: with ``jobs - 1`` helpers (``jobs`` None: one on a
    large ledger and a machine of more than one CPU, else none), or in place alone."""
    helpers, last = _plan(reading, jobs)
    if not helpers:
        inline(None, None, False)
        return
    started: list[Helper] = []
    try:
        snapshot = reading.export_snapshot()
        for _ in range(helpers):
            try:
                started.append(Helper(settings, snapshot, reading, below))
            except OSError as exc:
                log.warning("无法启动校验助手进程（%s）：日志事件在本进程中校验", exc)
        _Schedule(scan, reading, below, inline, last, started).run()
    finally:
        for helper in started:
            helper.stop()


def _plan(reading: LedgerReading, jobs: int | None) -> tuple[int, int]:
    """How many helpers, and the index of the last range (``last * RANGE`` on); no helper:
    the ledger is not cut."""
    if jobs == 1 or (jobs is None and (os.cpu_count() or 1) < 2):
        return 0, 0
    events = reading.extent()
    if jobs is None and events <= HELPED:
        return 0, 0
    last = events // RANGE
    if last < 2:  # no range between the first and the last
        return 0, 0
    return (1 if jobs is None else jobs - 1), last


class _Schedule:
    """The ranges between the first (``seq < RANGE``) and the last (from ``last * RANGE``
    on), given out and taken in order. A range that holds no event at all ends the cutting:
    the ranges already out are taken, and the rest of the ledger is the last range, so a
    ledger cut short, or a row forged far beyond the newest, costs a few empty ranges."""

    def __init__(
        self,
        scan: LedgerScan,
        reading: LedgerReading,
        below: int,
        inline: Inline,
        last: int,
        helpers: list[Helper],
    ) -> None:
        self.scan, self.reading, self.below, self.inline = scan, reading, below, inline
        self.last, self.helpers = last, helpers
        self.window = WINDOW + AHEAD * max(0, len(helpers) - 1)
        self.claimed = 1
        """Ranges below this one are given out, checked ahead or taken."""
        self.ahead: dict[int, RangeResult] = {}

    def run(self) -> None:
        self._give(1)
        self.inline(None, RANGE, False)
        index = 1
        while index < self.last:
            self._take(index)
            index += 1
        self.inline(self.last * RANGE, None, False)

    def _give(self, taking: int) -> None:
        """Give each helper ranges up to ``AHEAD``, within ``WINDOW`` of the one the scan
        takes next."""
        for helper in self.helpers:
            while (
                helper.failed is None
                and len(helper.pending) < AHEAD
                and self.claimed < min(self.last, taking + self.window)
            ):
                helper.give(self.claimed, self.claimed * RANGE, (self.claimed + 1) * RANGE)
                self.claimed += 1

    def _take(self, index: int) -> None:
        """Take range ``index`` into the scan: its result once it is back (checking ranges
        ahead meanwhile), or checked in place when no helper has it."""
        while True:
            self._give(index)
            for helper in self.helpers:
                helper.receive(wait=False)
                self.ahead.update(helper.answered)
                helper.answered.clear()
            self.helpers = [h for h in self.helpers if h.failed is None]
            result = self.ahead.pop(index, None)
            if result is not None:
                self._merge(index, result)
                return
            owner = next((h for h in self.helpers if index in h.pending), None)
            if owner is None:  # never given out, or its helper failed
                self.claimed = max(self.claimed, index + 1)
                self.inline(index * RANGE, (index + 1) * RANGE, False)
                return
            if self.claimed < min(self.last, index + self.window):
                low = self.claimed * RANGE
                self.ahead[self.claimed] = check_range(self.reading, low, low + RANGE, self.below)
                self.claimed += 1
            else:
                owner.receive(wait=True)

    def _merge(self, index: int, result: RangeResult) -> None:
        """What ``plain_run`` would have done with the events the result took, when it
        starts where the scan is; then the rest of the range in place."""
        low, high = index * RANGE, (index + 1) * RANGE
        scan = self.scan
        if result.whole and not result.taken:  # no event at all: cut no further
            self.last = min(self.last, self.claimed)
        if result.start is None or result.start != scan.prev or scan.expected != low:
            self.inline(low, high, False)
            return
        scan.tree.extend(result.leaves)
        scan.changes.update(result.changes)
        scan.latest.update(result.latest)
        if result.genesis is not None:
            scan.genesis = result.genesis
        scan.rotations += result.rotations
        scan.witnesses += result.witnesses
        scan.prev, scan.expected = result.prev, low + result.taken
        scan.advanced()
        if not result.whole:  # the first event not taken, and the rest, in place
            if result.taken:
                self.inline(scan.expected - 1, high, True)
            else:
                self.inline(low, high, False)
