"""Reads for export jobs (``services/archiving/export_jobs.py``): a case's newest change (what
an export is of) and its jobs, each with its cluster job (``t.jobs``, key ``export:<id>``:
state, progress, result) in the same statement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, literal, select

from liuhen.store import tables as t
from liuhen.store.job_rows import OLDEST_FIRST

ej, jobs = t.export_jobs, t.jobs
_JOB = ("state", "progress", "step", "node", "result", "error", "finished_at")


def _with_job() -> Any:
    """Export job rows with their cluster job's columns (``job_<name>``; none: no job)."""
    columns = [jobs.c[name].label(f"job_{name}") for name in _JOB]
    joined = ej.outerjoin(jobs, jobs.c.key == literal("export:") + ej.c.id)
    return select(ej, *columns).select_from(joined)


def _row(found: Any) -> dict[str, Any]:
    row = dict(found)
    job = {name: row.pop(f"job_{name}") for name in _JOB}
    row["job"] = job if job["state"] is not None else None
    return row


def basis_and_attempt(conn: Connection, case_id: str, kind: str) -> tuple[int, list[str]]:
    """The case's newest change (0: none noted) and the ids of the jobs of ``kind`` already
    asked for at that change, oldest attempt first."""
    basis = conn.execute(
        select(t.case_changes.c.seq).where(t.case_changes.c.case_id == case_id)
    ).scalar()
    seq = int(basis or 0)
    ids = conn.execute(
        select(ej.c.id)
        .where(ej.c.case_id == case_id, ej.c.kind == kind, ej.c.basis == seq)
        .order_by(ej.c.attempt)
    ).scalars()
    return seq, [str(i) for i in ids]


def job_row(conn: Connection, job_id: str) -> dict[str, Any] | None:
    found = conn.execute(_with_job().where(ej.c.id == job_id)).mappings().first()
    return _row(found) if found else None


def jobs_of_folders(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The export jobs of these ids (the folders of ``exports/``), by id."""
    rows = conn.execute(_with_job().where(ej.c.id.in_(tuple(ids)))).mappings()
    return {str(r["id"]): _row(r) for r in rows}


def case_jobs(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The case's exports and 四性检测 as cluster jobs (``t.jobs``), oldest first: what the
    case page shows of both, in one statement."""
    return [dict(r) for r in conn.execute(_CASE_JOBS, {"case_id": case_id}).mappings()]


_CASE_JOBS = (
    select(jobs)
    .where(jobs.c.case_id == bindparam("case_id"), jobs.c.kind.in_(("export", "four_properties")))
    .order_by(*OLDEST_FIRST)
)
"""``case_jobs``' statement, built once (every case page asks)."""
