"""Reads for export jobs (``services/archiving/export_jobs.py``): a case's newest change (what
an export is of) and its jobs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from liuhen.store import tables as t


def basis_and_attempt(conn: Connection, case_id: str, kind: str) -> tuple[int, list[str]]:
    """The case's newest change (0: none noted) and the ids of the jobs of ``kind`` already
    asked for at that change, oldest attempt first."""
    basis = conn.execute(
        select(t.case_changes.c.seq).where(t.case_changes.c.case_id == case_id)
    ).scalar()
    ej = t.export_jobs
    seq = int(basis or 0)
    ids = conn.execute(
        select(ej.c.id)
        .where(ej.c.case_id == case_id, ej.c.kind == kind, ej.c.basis == seq)
        .order_by(ej.c.attempt)
    ).scalars()
    return seq, [str(i) for i in ids]


def job_row(conn: Connection, job_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.export_jobs).where(t.export_jobs.c.id == job_id)).mappings()
    found = row.first()
    return dict(found) if found else None


def latest_jobs(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The newest job of each kind of a case (one statement)."""
    ej = t.export_jobs
    newest = (
        select(ej.c.kind, func.max(ej.c.requested_at).label("at"))
        .where(ej.c.case_id == case_id)
        .group_by(ej.c.kind)
        .subquery()
    )
    query = (
        select(ej)
        .join(newest, (newest.c.kind == ej.c.kind) & (newest.c.at == ej.c.requested_at))
        .where(ej.c.case_id == case_id)
        .order_by(ej.c.kind, ej.c.attempt.desc())
    )
    found: dict[str, dict[str, Any]] = {}
    for row in conn.execute(query).mappings():
        found.setdefault(row["kind"], dict(row))
    return list(found.values())
