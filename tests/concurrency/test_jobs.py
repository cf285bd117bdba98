"""The cluster's jobs run once (issue 14 item 4): four processes claiming at the same
moment take one waiting job once, and four making the same scheduled slot's job make one
row; on SQLite and PostgreSQL, the database decides (``store/job_rows.py``)."""

from __future__ import annotations

from datetime import timedelta

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


def test_old_jobs_deleted_by_four_nodes_at_once_are_deleted_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    """Four nodes starting the day's ``job_cleanup`` slot at once: one row for the slot, run
    once, the rows of old ended jobs deleted and counted once on the ledger."""
    from liuhen.jobs.kinds import JOBS_PRUNED
    from liuhen.services.archiving.integrity import verify
    from tests.helpers import SYSTEM

    engine, clock = store.engine, store.clock
    clock.advance(days=-31)
    for n in range(3):
        job_rows.enqueue(engine, clock(), kind="test", key=f"old-{n}", args={})
        held = job_rows.claim(engine, clock(), "node-a", timedelta(minutes=2), ["test"])
        assert held is not None and job_rows.finish(engine, clock(), held, result={})
    clock.advance(days=31)
    results = racers.race(store, job_ops.scheduled_cleanup)
    assert results.codes == {"ok": 4}, results
    assert sum(int(v) for v in results.values()) == 2, results  # the two cleanups, once each
    e = t.ledger_events
    with store.read() as conn:
        runs = job_rows.of_kind(conn, "job_cleanup")
        left = conn.execute(select(func.count()).select_from(t.jobs)).scalar()
        pruned = conn.execute(select(e.c.payload).where(e.c.action == JOBS_PRUNED)).all()
    assert [r["result"]["removed"] for r in runs] == [3], runs
    assert left == 2  # the two cleanups' own rows
    assert [p["removed"] for (p,) in pruned] == [3]
    assert verify(store, SYSTEM).ok
