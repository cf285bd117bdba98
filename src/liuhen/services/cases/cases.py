"""Cases: opening one, listing them. (The full lifecycle arrives with issue 4.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from liuhen.domain import vocab
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.permissions import case_officers, require, visible
from liuhen.store import tables as t
from liuhen.store.store import Store
from liuhen.store.unit import new_id

PROCEDURES: dict[str, str] = {
    key: ("行政处罚" + name if key in ("general", "simple") else name)
    for key, name in vocab.PROCEDURES.items()
}

STAGES: dict[str, str] = {
    "initiation": "启动",
    "investigation": "调查取证",
    "decision": "审查决定",
    "service_execution": "送达执行",
    "archiving": "归档",
    "closed": "已归档结案",
}


@dataclass(frozen=True)
class CaseSummary:
    id: str
    number: str
    title: str
    procedure: str
    stage: str
    opened_at: datetime
    party: dict[str, Any]
    violations: int | None = None
    pending: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "procedure": self.procedure,
            "procedure_name": PROCEDURES.get(self.procedure, self.procedure),
            "stage": self.stage,
            "stage_name": STAGES.get(self.stage, self.stage),
            "opened_at": self.opened_at.isoformat(),
            "party": self.party,
            "open_findings": None
            if self.violations is None
            else self.violations + (self.pending or 0),
            "violations": self.violations,
            "pending": self.pending,
        }


def open_case(
    store: Store,
    actor: Actor,
    *,
    agency_id: str,
    number: str,
    title: str,
    procedure: str,
    party: dict[str, Any],
    opened_at: datetime,
    section: str = "",
    confidentiality: list[str] | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    require(actor, "case.create")
    problems = []
    if procedure not in PROCEDURES:
        problems.append(f"procedure: 程序类型无效 {procedure!r}，可选：{', '.join(PROCEDURES)}")
    if not number.strip():
        problems.append("number: 案件编号不能为空")
    if not title.strip():
        problems.append("title: 案件名称不能为空")
    if opened_at.tzinfo is None:
        problems.append("opened_at: 时间须带时区")
    if problems:
        raise InvalidInput("案件信息有误", details=problems)
    case_id = new_id()
    with store.transaction(actor) as tx:
        taken = tx.conn.execute(
            select(t.cases.c.id).where(t.cases.c.number == number.strip())
        ).first()
        if taken is not None:
            raise Conflict(f"number: 案件编号 {number.strip()} 已被使用，请核对编号")
        tx.insert(
            "cases",
            {
                "id": case_id,
                "agency_id": agency_id,
                "number": number.strip(),
                "title": title.strip(),
                "procedure": procedure,
                "party": party,
                "confidentiality": confidentiality or [],
                "section": section or actor.section,
                "details": details or {},
                "opened_at": opened_at,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.insert(
            "case_transitions",
            {
                "id": new_id(),
                "case_id": case_id,
                "stage": "initiation",
                "note": "",
                "at": opened_at,
                "created_by": actor.id or "system",
            },
        )
        tx.record(
            "case.opened",
            subject_type="case",
            subject_id=case_id,
            case_id=case_id,
            payload={"number": number, "procedure": procedure},
        )
    return case_id


def list_cases(store: Store, actor: Actor) -> list[CaseSummary]:
    """Every case, newest first, with the open findings of its agency's profile as of now.

    Read from the case summaries (``services/cases/summaries.py``): rebuilt only for cases changed
    since, and evaluated at read time, so a deadline that passed since counts."""
    from liuhen.services.cases.summaries import with_states

    require(actor, "case.read")
    states = with_states(store)
    in_scope = {c["id"] for c in visible(actor, "case.read", _scope_facts(store))}
    states = [(s, st) for s, st in states if s["id"] in in_scope]  # only the cases in scope
    with store.transaction(actor) as tx:  # every view is on the ledger (000§18 实时调阅)
        tx.record(
            "case.list_viewed", subject_type="case", subject_id="*", payload={"count": len(states)}
        )
    items = [_summary(s, st) for s, st in states]
    items.sort(key=lambda c: (c.opened_at, c.number), reverse=True)
    return items


def _scope_facts(store: Store) -> list[dict[str, Any]]:
    """What the scope and confidentiality rules look at, for every case."""
    cols = (t.cases.c.id, t.cases.c.agency_id, t.cases.c.section, t.cases.c.created_by)
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(select(*cols, t.cases.c.confidentiality)).mappings()]
    officers = case_officers(store)
    for row in rows:
        row["officer_ids"] = sorted(officers.get(row["id"], ()))
    return rows


def _summary(summary: Any, state: Any) -> CaseSummary:
    """One list row, from the case's summary and its state now."""
    return CaseSummary(
        id=summary["id"],
        number=summary["number"],
        title=summary["title"],
        procedure=summary["procedure"],
        stage=summary["stage"] or "initiation",
        opened_at=datetime.fromisoformat(summary["opened_at"]).astimezone(UTC),
        party=summary["party"],
        violations=state.violations,
        pending=state.pending,
    )


def find_case(store: Store, ref: str) -> str:
    """A case id from an id or a case number; NotFound names what was asked for."""
    with store.read() as conn:
        found = conn.execute(
            select(t.cases.c.id).where((t.cases.c.id == ref) | (t.cases.c.number == ref))
        ).scalar()
    if found is None:
        raise NotFound(f"CASE: 没有编号或标识为 {ref} 的案件")
    return str(found)
