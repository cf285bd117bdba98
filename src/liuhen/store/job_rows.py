"""The statements of the cluster's job table (``t.jobs``): each decision the database makes
in one statement, never a read followed by a write in Python.

- ``enqueue``: ``INSERT … ON CONFLICT DO NOTHING``; one waiting or running job per key
  (``uq_jobs_active_key``), so asking twice, on two nodes at once, is one job.
- ``schedule``: the row of a scheduled job's slot, keyed by (kind, slot) (``uq_jobs_slot``):
  the node that inserts it has made it; any node then claims it like any other job.
- ``claim``: one ``UPDATE … WHERE id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING``: a waiting job, or a running one whose lease expired (its node died), is taken
  by exactly one node. SQLite has no row locks: its writer holds the database from
  ``BEGIN IMMEDIATE``, so the same statement is just as alone there.
- ``report``, ``renew``, ``finish``: only the holder (node and attempt) may write them; a
  holder whose lease was taken over writes nothing.
- ``prune``: one ``DELETE`` of the jobs that ended (done, or failed for good) before a time;
  a waiting or running job is never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, or_, select, update
from sqlalchemy.engine import Engine

from liuhen.store import tables as t
from liuhen.store.database import READ_ONLY
from liuhen.store.unit import new_id
from liuhen.store.upsert import insert

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
GAVE_UP = "任务所在的节点停止运行，已在其他节点重试 {n} 次仍未完成，请重新发起"
"""The error of a job whose lease expired after its last attempt."""

j = t.jobs


def _row(found: Any) -> dict[str, Any] | None:
    return dict(found) if found is not None else None


def _values(now: datetime, kind: str, key: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id(),
        "kind": kind,
        "key": key,
        "args": args,
        "state": QUEUED,
        "progress": 0.0,
        "step": "",
        "attempts": 0,
        "max_attempts": 3,
        "error": "",
        "created_at": now,
    }


def enqueue_in(
    conn: Connection,
    now: datetime,
    *,
    kind: str,
    key: str,
    args: dict[str, Any],
    case_id: str | None = None,
    requested_by: str | None = None,
) -> tuple[dict[str, Any] | None, bool]:
    """``enqueue`` on a transaction the caller holds (a job asked for with its record)."""
    values = _values(now, kind, key, args) | {"case_id": case_id, "requested_by": requested_by}
    made = _insert(conn, values)
    if made is not None:
        return made, True
    active = conn.execute(select(j).where(j.c.key == key, j.c.state.in_((QUEUED, RUNNING))))
    return _row(active.mappings().first()), False


def enqueue(engine: Engine, now: datetime, **job: Any) -> tuple[dict[str, Any], bool]:
    """The waiting or running job of ``key`` and whether this call made it (a new job when
    none of the key waits or runs): ``INSERT … ON CONFLICT DO NOTHING``."""
    for _ in range(5):  # the job another node made may end between the insert and the read
        with engine.begin() as conn:
            found, made = enqueue_in(conn, now, **job)
        if found is not None:
            return found, made
    raise RuntimeError(f"job {job['key']} could not be queued")  # pragma: no cover


def _insert(conn: Connection, values: dict[str, Any]) -> dict[str, Any] | None:
    stmt = insert(conn, j).values(**values).on_conflict_do_nothing().returning(*j.c)
    return _row(conn.execute(stmt).mappings().first())


def schedule(
    engine: Engine, now: datetime, kind: str, slot: datetime, args: dict[str, Any]
) -> bool:
    """Make the job of ``kind`` for the slot starting at ``slot`` unless a node has: True
    for the one node whose insert made it."""
    values = _values(now, kind, f"{kind}@{slot.isoformat()}", args) | {"slot": slot}
    with engine.begin() as conn:
        return _insert(conn, values | {"max_attempts": 2}) is not None


def claim(
    engine: Engine, now: datetime, node: str, lease: timedelta, kinds: Iterable[str]
) -> dict[str, Any] | None:
    """Take one job of ``kinds`` for ``node``: the oldest waiting one, or a running one whose
    lease expired (its attempt was cut short). A running job past its lease after its last
    attempt is failed first, with a message saying so."""
    kinds = tuple(kinds)
    expired = and_(j.c.state == RUNNING, j.c.lease_until < now)
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:  # a look first:
        # an idle node's poll takes no write lock
        look = select(j.c.id).where(j.c.kind.in_(kinds), or_(j.c.state == QUEUED, expired))
        if conn.execute(look.limit(1)).first() is None:
            return None
    with engine.begin() as conn:
        for row in conn.execute(
            update(j)
            .where(expired, j.c.attempts >= j.c.max_attempts, j.c.kind.in_(kinds))
            .values(state=FAILED, finished_at=now, lease_until=None, error="")
            .returning(j.c.id, j.c.attempts)
        ):
            conn.execute(
                update(j).where(j.c.id == row.id).values(error=GAVE_UP.format(n=row.attempts))
            )
        takeable = and_(
            j.c.kind.in_(kinds),
            or_(j.c.state == QUEUED, and_(expired, j.c.attempts < j.c.max_attempts)),
        )
        first = (
            select(j.c.id)
            .where(takeable)
            .order_by(j.c.created_at, j.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        taken = conn.execute(
            update(j)
            .where(j.c.id == first, takeable)
            .values(
                state=RUNNING,
                node=node,
                lease_until=now + lease,
                attempts=j.c.attempts + 1,
                started_at=now,
                progress=0.0,
                step="",
            )
            .returning(*j.c)
        )
        return _row(taken.mappings().first())


def _held(job: dict[str, Any]) -> Any:
    return and_(
        j.c.id == job["id"],
        j.c.node == job["node"],
        j.c.attempts == job["attempts"],
        j.c.state == RUNNING,
    )


def report(
    engine: Engine, job: dict[str, Any], progress: float, step: str, lease_until: datetime
) -> bool:
    """Write the held job's progress (and renew its lease); False when it is no longer held."""
    values = {"progress": max(0.0, min(1.0, progress)), "lease_until": lease_until}
    if step:
        values["step"] = step[:120]
    with engine.begin() as conn:
        return conn.execute(update(j).where(_held(job)).values(**values)).rowcount == 1


def renew(engine: Engine, jobs: list[dict[str, Any]], lease_until: datetime) -> int:
    """Renew the leases of the jobs a node holds (its heartbeat); how many it still holds."""
    if not jobs:
        return 0
    held = or_(*(_held(job) for job in jobs))
    with engine.begin() as conn:
        return conn.execute(update(j).where(held).values(lease_until=lease_until)).rowcount


def finish(
    engine: Engine,
    now: datetime,
    job: dict[str, Any],
    *,
    result: dict[str, Any] | None = None,
    error: str = "",
) -> bool:
    """End the held job done (``result``) or failed (``error``); False when not held."""
    values: dict[str, Any] = {"finished_at": now, "lease_until": None, "error": error}
    if error:
        values["state"] = FAILED
    else:
        values.update(state=DONE, result=result, progress=1.0)
    with engine.begin() as conn:
        return conn.execute(update(j).where(_held(job)).values(**values)).rowcount == 1


def release(engine: Engine, job: dict[str, Any]) -> bool:
    """Hand a held job back (its node is stopping): it waits for the next claim, and the
    attempt cut short does not count."""
    back = {"state": QUEUED, "node": None, "lease_until": None, "attempts": j.c.attempts - 1}
    with engine.begin() as conn:
        return conn.execute(update(j).where(_held(job)).values(**back)).rowcount == 1


def get(conn: Connection, job_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(select(j).where(j.c.id == job_id)).mappings().first())


OLDEST_FIRST = (j.c.created_at, j.c.finished_at.is_(None), j.c.finished_at, j.c.id)
"""Jobs in the order they were made. Of jobs made at one instant (a clock's resolution) the
waiting or running one is the newest (a key's next job is made only once the last one
ended), then the one that ended last; the random id decides only what nothing else does."""


def latest(conn: Connection, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The newest job of each of ``keys`` (one statement; ``OLDEST_FIRST``): key -> row."""
    keys = tuple(keys)
    if not keys:
        return {}
    query = select(j).where(j.c.key.in_(keys)).order_by(*OLDEST_FIRST)
    return {row["key"]: dict(row) for row in conn.execute(query).mappings()}


def of_kind(conn: Connection, kind: str, *, state: str | None = None) -> list[dict[str, Any]]:
    """The jobs of ``kind`` (optionally in ``state``), oldest first."""
    query = select(j).where(j.c.kind == kind)
    if state is not None:
        query = query.where(j.c.state == state)
    return [dict(r) for r in conn.execute(query.order_by(j.c.created_at, j.c.id)).mappings()]


def prune(conn: Connection, ended_before: datetime) -> int:
    """Delete the jobs that ended (done, or failed after their last attempt) before
    ``ended_before``, on the caller's transaction; how many. Waiting and running jobs stay
    (a running job past its last attempt is failed by ``claim`` first, then ages like any)."""
    ended = and_(j.c.state.in_((DONE, FAILED)), j.c.finished_at < ended_before)
    return int(conn.execute(delete(j).where(ended)).rowcount)
