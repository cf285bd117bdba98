"""The kinds of job the cluster runs, each a function of its ``JobContext``: the work a
request asked for (an export, a 四性检测, finding faces, a redacted video, a party's
watermarked copies, re-judging the case summaries after a holiday schedule's load) and
the scheduled work (the fixity audit, removing expired export files, deleting the rows of
jobs that ended long ago). ``runner_for`` builds a node's
runner with all of them and the schedules the settings ask for."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.jobs.model import JobContext
from liuhen.jobs.runner import Handler, JobRunner, Schedule
from liuhen.ledger.events import Actor
from liuhen.store import job_rows
from liuhen.store.store import Store

log = logging.getLogger(__name__)
FIXITY_ACTOR = Actor.system("定期复核（服务器计划任务）")
CLEANUP_EVERY = timedelta(hours=1)
JOB_CLEANUP_ACTOR = Actor.system("清理后台任务记录（服务器计划任务）")
JOB_CLEANUP_EVERY = timedelta(days=1)
JOBS_PRUNED = "jobs.pruned"
"""The ledger action of a run of ``job_cleanup`` that deleted rows (with their count)."""


def export(ctx: JobContext) -> dict[str, Any]:
    from liuhen.services.archiving.export_jobs import run_export

    return run_export(ctx.store, ctx.actor, str(ctx.args["export_job"]), ctx.report)


def four_properties(ctx: JobContext) -> dict[str, Any]:
    from liuhen.services.archiving.filing import check_four_properties

    args = ctx.args
    report = check_four_properties(
        ctx.store, ctx.actor, str(args["case_id"]), purpose=str(args["purpose"])
    )
    return {"event_seq": report.get("event_seq")}


def footage_detect(ctx: JobContext) -> dict[str, Any]:
    from liuhen.services.access.footage import detect_faces

    args = ctx.args
    found = detect_faces(
        ctx.store, ctx.actor, args["request_id"], args["record_id"], progress=ctx.progress
    )
    return {"faces": found}


def footage_render(ctx: JobContext) -> dict[str, Any]:
    from liuhen.services.access.footage_render import render_footage

    args = ctx.args
    made = render_footage(
        ctx.store, ctx.actor, args["request_id"], args["record_id"], progress=ctx.progress
    )
    return {"record_id": made}


def party_copy(ctx: JobContext) -> dict[str, Any]:
    from liuhen.services.access.copy_jobs import run_copies

    args = ctx.args
    return run_copies(ctx.store, ctx.actor, args["request_id"], args["case_id"], ctx.report)


def summaries(ctx: JobContext) -> dict[str, Any]:
    """Re-judge the case summaries under a newly loaded holiday schedule (in batches)."""
    from liuhen.services.cases.rejudge import run_rejudge

    return run_rejudge(ctx.store, str(ctx.args["calendar"]), ctx.report)


def fixity(ctx: JobContext) -> dict[str, Any]:
    """The scheduled audit: the blobs past their cycle, at the configured rate; a run cut
    short by the node stopping records nothing (its blobs stay due)."""
    from liuhen.services.archiving.fixity import run_fixity
    from liuhen.store.database import refresh_statistics

    report = run_fixity(ctx.store, FIXITY_ACTOR, due_only=True, sleep=ctx.sleep)
    if not report.ok:
        log.warning("fixity audit found %d damaged blob(s)", len(report.damaged))
    try:  # the planner's statistics follow the store's growth (SQLite only)
        refresh_statistics(ctx.store.engine)
    except LiuhenError as exc:
        log.warning("refreshing the database statistics failed: %s", exc)
    keep = ("ok", "blobs", "checked", "bytes", "overdue_after", "event_seq")
    summary = report.to_dict()
    return {k: summary[k] for k in keep} | {"damaged": len(report.damaged)}


def export_cleanup(ctx: JobContext) -> dict[str, Any]:
    from liuhen.services.archiving.export_jobs import remove_expired

    return {"removed": remove_expired(ctx.store)}


def job_cleanup(ctx: JobContext) -> dict[str, Any]:
    """Delete the job rows that ended ``job_retention_days`` ago (operational state, not
    records: what a job did has its own events); a run that deleted any says how many on
    the ledger. Waiting and running jobs are never deleted."""
    store = ctx.store
    days = store.settings.job_retention_days
    before = store.clock() - timedelta(days=days)
    with store.transaction(JOB_CLEANUP_ACTOR) as tx:
        removed = job_rows.prune(tx.conn, before)
        if removed:
            payload = {"removed": removed, "ended_before": before.isoformat(), "days": days}
            tx.record(JOBS_PRUNED, subject_type="store", subject_id="jobs", payload=payload)
    return {"removed": removed, "ended_before": before.isoformat()}


HANDLERS: dict[str, Handler] = {
    "export": export,
    "four_properties": four_properties,
    "footage_detect": footage_detect,
    "footage_render": footage_render,
    "party_copy": party_copy,
    "summaries": summaries,
    "fixity": fixity,
    "export_cleanup": export_cleanup,
    "job_cleanup": job_cleanup,
}


def schedules(fixity_every: float | None) -> list[Schedule]:
    """The scheduled jobs: removing expired exports hourly, old job rows daily; the fixity
    audit every ``fixity_every`` seconds (none without)."""
    found = [Schedule("export_cleanup", CLEANUP_EVERY), Schedule("job_cleanup", JOB_CLEANUP_EVERY)]
    if fixity_every:
        found.append(Schedule("fixity", timedelta(seconds=fixity_every)))
    return found


def runner_for(store: Store, fixity_every: float | None = None, **options: Any) -> JobRunner:
    return JobRunner(store, HANDLERS, schedules=schedules(fixity_every), **options)
