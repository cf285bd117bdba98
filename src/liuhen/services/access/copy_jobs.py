"""A party's copies as a cluster job (issue 14): granting a copy request queues the job
``party_copy`` in the decision's own transaction (``queue_copies``: no granted request
without its job), and any node's runner makes the watermarked copies (``run_copies``, over
``copies.make_copies``), reporting which record it is on. A node that dies mid-way leaves
the job to another, which makes only the copies still missing (each is made once). The
request's page shows the job's state from any node; "制作复制件" there queues it again.

What the job does is on the ledger as before: ``access.copy_made`` for each copy, and
``access.copy_failed`` (with the reason) when it could not make them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from liuhen.errors import Conflict
from liuhen.ledger.events import Actor
from liuhen.services.access.copies import granted_copy_request, make_copies
from liuhen.store import job_rows
from liuhen.store.store import Store
from liuhen.store.unit import Tx

KIND = "party_copy"
STATES = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"}
"""The job's state as the request's page names it."""


def copy_key(request_id: str) -> str:
    """The cluster job (``t.jobs``) that makes a request's copies: one waits or runs."""
    return f"party-copy:{request_id}"


def copy_args(actor: Actor, request_id: str, case_id: str) -> dict[str, Any]:
    """The job's arguments: the request and the one who granted it (the work runs as them)."""
    who = {**asdict(actor), "roles": list(actor.roles)}
    return {"request_id": request_id, "case_id": case_id, "actor": who}


def queue_copies(tx: Tx, actor: Actor, request: Mapping[str, Any]) -> None:
    """Queue the making of a granted request's copies on the decision's transaction (the
    caller's node wakes its runner once it commits)."""
    job_rows.enqueue_in(
        tx.conn,
        tx.clock(),
        kind=KIND,
        key=copy_key(str(request["id"])),
        args=copy_args(actor, str(request["id"]), str(request["case_id"])),
        case_id=str(request["case_id"]),
        requested_by=actor.id,
    )


def requeue_copies(store: Store, actor: Actor, request_id: str) -> bool:
    """ "制作复制件" on the request's page: queue the job again for the copies still missing
    (after a failure); whether this call queued it (False: it waits or runs already). Asked
    twice at once, on two nodes, it is one job (one waits or runs per key)."""
    request, _case = granted_copy_request(store, actor, request_id)
    if not request.missing_copies:
        raise Conflict("本申请的复制件均已制作完成，无需再次制作")
    _job, made = job_rows.enqueue(
        store.engine,
        store.clock(),
        kind=KIND,
        key=copy_key(request.id),
        args=copy_args(actor, request.id, request.case_id),
        case_id=request.case_id,
        requested_by=actor.id,
    )
    return made


def run_copies(
    store: Store,
    actor: Actor,
    request_id: str,
    case_id: str,
    report: Callable[[float, str], None],
) -> dict[str, Any]:
    """The job's work: the copies still missing, made; ``access.copy_failed`` on the ledger
    (and the job failed with the reason) when one could not be made."""
    try:
        made = make_copies(store, actor, request_id, report=report)
    except Exception as exc:  # the approval stands; staff queue it again from the page
        with store.transaction(actor) as tx:
            tx.record(
                "access.copy_failed",
                subject_type="access_request",
                subject_id=request_id,
                case_id=case_id,
                payload={"error": str(exc)[:500]},
            )
        raise
    return {"copies": made}
