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
