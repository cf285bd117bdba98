"""The operations the job-table concurrency test races (module-level, so the harness's
processes can import them): claiming a job, making a scheduled slot's job."""

from __future__ import annotations

from datetime import datetime, timedelta

from liuhen.store.store import Store


def claim(store: Store, node: str) -> str:
    """``store/job_rows.claim`` for ``node``: "<job id> <attempt>" or "none"."""
    from liuhen.store import job_rows

    job = job_rows.claim(store.engine, store.clock(), node, timedelta(minutes=2), ["test"])
    return "none" if job is None else f"{job['id']} {job['attempts']}"


def schedule(store: Store, slot: str) -> str:
    """``store/job_rows.schedule`` of one slot: "made" or "taken"."""
    from liuhen.store import job_rows

    made = job_rows.schedule(store.engine, store.clock(), "test", datetime.fromisoformat(slot), {})
    return "made" if made else "taken"


def scheduled_cleanup(store: Store) -> int:
    """What each serving node does at a slot's start: make the scheduled jobs' rows (the
    cleanups), then run what it can claim; how many jobs this process ran."""
    from liuhen.jobs.kinds import runner_for

    runner = runner_for(store)
    runner.make_scheduled()
    ran = 0
    while runner.run_one():
        ran += 1
    return ran


def run_waiting(store: Store) -> int:
    """A node's runner taking the cluster's waiting jobs until none waits; how many it ran."""
    from liuhen.jobs.kinds import runner_for

    runner = runner_for(store)
    ran = 0
    while runner.run_one():
        ran += 1
    return ran


def load_calendar(store: Store, path: str) -> list[int]:
    """An administrator loading the holiday schedule file ``path`` (its job queued with it)."""
    from liuhen.ledger.events import Actor
    from liuhen.services.admin.holidays import load_schedule

    admin = Actor(id=None, label="系统管理员", roles=("admin",))
    return load_schedule(store, admin, path, source="测试用安排（非官方）")
