"""Where the re-judging of the summaries after a schedule's load stands: its job's key and
whether it waits or runs (``services/cases/rejudge`` holds the job itself). Apart from it, so
that ``summaries`` can ask without importing the job that imports ``summaries``."""

from __future__ import annotations

from liuhen.jobs.model import JobView
from liuhen.store import job_rows
from liuhen.store.store import Store

KIND = "summaries"


def rejudge_key(calendar_key: str) -> str:
    """The cluster job (``t.jobs``) that re-judges the summaries under ``calendar_key``."""
    return f"summaries:{calendar_key}"


def pending(store: Store, calendar_key: str) -> JobView | None:
    """The job re-judging under ``calendar_key`` while it waits or runs (else None)."""
    with store.read() as conn:
        row = job_rows.latest(conn, [rejudge_key(calendar_key)]).get(rejudge_key(calendar_key))
    job = JobView.of(row) if row is not None else None
    return job if job is not None and job.active else None


def counts(job: JobView) -> tuple[int, int] | None:
    """(cases done, cases in all) as the job last reported them."""
    done, _, total = job.step.partition("/")
    if done.isdigit() and total.isdigit():
        return int(done), int(total)
    return None
