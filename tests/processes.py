"""Processes for the race tests: ``racing_context()``, a multiprocessing context whose
children start without importing LiuHen again.

A spawned child is a fresh interpreter that imports the app before it can race (about two
CPU-seconds each; the suite starts dozens). A forkserver child is forked from one server
process per test worker, started once, that has imported ``PRELOAD`` already; like a spawned
one it shares nothing else with the test (no threads, no connections, no open store), and
it gets what it runs (settings, the operation) pickled, as a spawned one does.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

PRELOAD = [
    "liuhen.store.store",
    "liuhen.services.admin.users",
    "liuhen.services.approvals.workflow",
    "liuhen.services.av.ingest",
    "liuhen.services.av.stations",
    "liuhen.services.cases.records",
    "liuhen.services.cases.documents",
    "tests.fixtures",
    "tests.concurrency.harness",
]


def racing_context() -> BaseContext:
    """The forkserver context, its server importing ``PRELOAD`` when it first starts."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
