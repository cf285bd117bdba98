"""Re-judging every case summary after a holiday schedule is loaded, as a cluster job
(issue 14). A load changes the calendar's key, and with it every summary judged under the
old one is stale: ``load_schedule`` queues the job ``summaries`` for the new key in its own
transaction (``queue_rejudge``; one waiting or running job per key, so two loads of the
same schedule at once, on two nodes, make one job), and one node's runner re-judges the
stale summaries in batches (``run_rejudge``), each batch committed with its summaries and
the job's progress (cases judged under the new schedule / cases summarised). A node that
dies leaves the job to another, which goes on with what is still stale.

While the job waits or runs, ``summaries.ensure_current`` leaves the calendar-wide
staleness to it (requests keep catching up the cases changed since they last looked) and
the list and dashboard pages show ``notice``. Without a job of the key (a store upgraded
from before, or the job failed for good) requests re-judge inline as before, so nothing
stays stale for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liuhen.jobs.model import actor_args
from liuhen.ledger.events import Actor
from liuhen.services.cases import summaries
from liuhen.services.cases.rejudge_state import KIND, counts, pending, rejudge_key
from liuhen.store import job_rows
from liuhen.store.store import Store
from liuhen.store.unit import Tx

__all__ = ["KIND", "notice", "queue_rejudge", "rejudge_key", "run_rejudge"]

BATCH = 200
"""Summaries re-judged and committed together (the job's progress moves once a batch)."""
SUPERSEDED = "superseded"


def queue_rejudge(tx: Tx, actor: Actor, calendar_key: str) -> None:
    """Queue the re-judging for the calendar ``calendar_key`` on the caller's transaction
    (the one storing the schedule: no loaded schedule without its job)."""
    job_rows.enqueue_in(
        tx.conn,
        tx.clock(),
        kind=KIND,
        key=rejudge_key(calendar_key),
        args={"calendar": calendar_key, "actor": actor_args(actor)},
        requested_by=actor.id,
    )


def notice(store: Store) -> str:
    """The pages' notice while the summaries are being re-judged under the store's current
    holiday schedules ("" otherwise). No query when this process's last check found every
    summary judged under them (``summaries.settled``): a page pays for the job's row only
    while the job is what the summaries wait for."""
    key = store.calendar().key
    if not key or summaries.settled(store, key):  # no schedule loaded, or none left to a job
        return ""
    job = pending(store, key)
    if job is None:
        return ""
    found = counts(job)
    if found is None:
        return "节假日安排已更新，正在重新评查案件（排队中），评查结果稍后更新"
    return f"节假日安排已更新，正在重新评查案件（已完成 {found[0]} / {found[1]}）"


def run_rejudge(
    store: Store, calendar_key: str, report: Callable[[float, str], None]
) -> dict[str, Any]:
    """The job's work: the summaries not judged under ``calendar_key`` (or by another
    version of the summary), re-judged ``BATCH`` at a time in the order of their case ids
    (each batch read after the last id done: no rescanning), each batch committed; the
    progress is (judged under it before + judged now) / summaries in all. Ends early
    when a newer schedule was loaded meanwhile (that load's own job re-judges them)."""
    from liuhen.services.cases.queries.summaries import (
        judged_elsewhere,
        newest_changes_and_agencies,
        rejudge_progress,
    )
    from liuhen.services.cases.summaries import VERSION, compute_many, save

    done, total = rejudge_progress(store, calendar=calendar_key, version=VERSION)
    judged, after = 0, ""
    while True:
        if store.calendar(fresh=True).key != calendar_key:
            return {SUPERSEDED: True, "cases": judged}
        report((done + judged) / total if total else 1.0, f"{done + judged}/{total}")
        ids = judged_elsewhere(
            store, calendar=calendar_key, version=VERSION, after=after, limit=BATCH
        )
        if not ids:
            return {"cases": judged, "total": total}
        newest, agencies = newest_changes_and_agencies(store, ids)
        fresh = compute_many(store, agencies)
        rows = [(i, agencies[i], fresh[i], newest.get(i, 0)) for i in agencies if i in fresh]
        save(store, rows)
        judged, after = judged + len(ids), ids[-1]
