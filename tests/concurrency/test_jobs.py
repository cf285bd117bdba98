"""The cluster's jobs run once (issue 14 item 4): four processes claiming at the same
moment take one waiting job once, and four making the same scheduled slot's job make one
row; on SQLite and PostgreSQL, the database decides (``store/job_rows.py``)."""

from __future__ import annotations

from sqlalchemy import func, select

from liuhen.store import job_rows
from liuhen.store import tables as t
from tests.concurrency import job_ops


def test_one_job_claimed_by_four_processes_at_once_is_taken_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    job, made = job_rows.enqueue(store.engine, store.clock(), kind="test", key="k", args={})
    assert made
    results = racers.race(store, job_ops.claim, "node")
    assert results.codes == {"ok": 4}, results
    taken = [v for v in results.values() if v != "'none'"]
    assert taken == [f"'{job['id']} 1'"], results


def test_a_scheduled_slot_made_by_four_processes_at_once_is_one_job(store, racers) -> None:  # type: ignore[no-untyped-def]
    slot = store.clock().replace(minute=0, second=0, microsecond=0).isoformat()
    results = racers.race(store, job_ops.schedule, slot)
    assert sorted(results.values()) == ["'made'"] + ["'taken'"] * 3, results
    with store.read() as conn:
        count = conn.execute(select(func.count()).select_from(t.jobs)).scalar()
    assert count == 1
