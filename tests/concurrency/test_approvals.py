"""One decision per approval step and approver, whatever the number of writers: the same
decision sent by four processes at once is taken once, and two heads deciding at once leave
one closing decision; the others meet a conflict, and the store verifies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from liuhen.services.admin.agency import create_agency
from liuhen.services.approvals.queries import approval_state
from liuhen.services.approvals.workflow import request_approval
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.cases import open_case
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.helpers import SYSTEM

PASSWORD = "Race-pass-2026!"


def world(store: Any, heads: int = 1) -> dict[str, Any]:
    agency = create_agency(store, SYSTEM, name="并发测试局", profile_id="shanxi-township")
    people = {"officer": ("张三", "officer")} | {
        f"head{i}": (f"局长{i}", "head") for i in range(heads)
    }
    from tests.factories import make_users

    users = make_users(store, agency, people, password=PASSWORD)
    case = open_case(
        store, users["officer"].actor, agency_id=agency, number="并发〔2026〕1号",
        title="某案", procedure="general", party={"kind": "person", "name": "王某"},
        opened_at=store.clock(),
    )  # fmt: skip
    approval = request_approval(
        store, users["officer"].actor, case_id=case, kind="initiation", opinion="建议立案",
        fields={"reason": "占道经营", "party": "王某"},
    )  # fmt: skip
    return {"agency": agency, "case": case, "approval": approval, **users}


def steps(store: Any, approval_id: str) -> list[dict[str, Any]]:
    s = t.approval_steps
    with store.read() as conn:
        rows = conn.execute(select(s).where(s.c.approval_id == approval_id).order_by(s.c.position))
        return [dict(r) for r in rows.mappings()]


def test_the_same_decision_from_four_processes_is_taken_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    w = world(store)
    results = racers.race(store, ops.decide, w["head0"].actor, w["approval"])
    assert results.codes == {"ok": 1, "conflict": 3}, results
    decided = steps(store, w["approval"])
    assert [s["role"] for s in decided] == ["handler", "approver"]
    assert approval_state(store, w["approval"]).outcome == "approved"
    assert verify(store, SYSTEM).ok


def test_two_heads_deciding_at_once_leave_one_closing_decision(store, racers) -> None:  # type: ignore[no-untyped-def]
    w = world(store, heads=4)
    heads = [w[f"head{i}"].actor for i in range(4)]
    results = racers.race_each(store, ops.decide, [(head, w["approval"]) for head in heads])
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert [s["role"] for s in steps(store, w["approval"])] == ["handler", "approver"]
    assert verify(store, SYSTEM).ok
