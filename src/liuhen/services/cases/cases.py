"""Cases: opening one, listing them. (The full lifecycle arrives with issue 4.)"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from liuhen.domain import vocab
from liuhen.domain.numbering import CASE_KIND
from liuhen.domain.opening import case_problems
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.rules.sources.summary_state import GRACE
from liuhen.services.cases import numbering
from liuhen.services.cases.queries.cases import case_id_of, case_number_taken
from liuhen.services.permissions import case_scope, require
from liuhen.store.queries import case_list, case_page
from liuhen.store.queries.case_list import Filter, Scope
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

__all__ = ["PROCEDURES", "STAGES", "Filter", "find_case", "list_cases", "list_page"]

PROCEDURES: dict[str, str] = {
    key: ("行政处罚" + name if key in ("general", "simple") else name)
    for key, name in vocab.PROCEDURES.items()
}

SEARCH_COUNT_CAP = 1000
"""A search is counted up to this many cases (and paged through them, newest first): past
it the list says "超过 1000 件" and asks for more words, rather than read every match."""
DENSE, DENSE_ROWS = 500, 250
"""A search matching at least ``DENSE`` cases has its first ``DENSE_ROWS`` rows read newest
first until the page is full (``case_page.page``'s ``dense``)."""

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
    overdue: int = 0  # outstanding items past their due time (summary_state.state_at)

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
            "overdue": self.overdue,
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
    given = number or "待分配"  # an empty number is allocated in the transaction (_numbered)
    problems = case_problems(
        procedure, given, title, opened_at, party=party, section=section or actor.section
    )
    if problems:
        raise InvalidInput("案件信息有误", details=problems)
    case_id = new_id()
    with store.transaction(actor) as tx:
        number = _numbered(tx, store, agency_id, number, opened_at, case_id)
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


def _numbered(
    tx: Tx, store: Store, agency_id: str, number: str, opened_at: datetime, case_id: str
) -> str:
    """The case's number, in its transaction: allocated from the agency's 字号 when none was
    typed, else registered so it is not issued again (a clash: one message naming it)."""
    tz, subject = store.settings.tz, ("case", case_id)
    if not number.strip():
        return numbering.allocate(
            tx, agency_id=agency_id, kind=CASE_KIND, moment=opened_at, tz=tz, subject=subject
        )
    if case_number_taken(tx.conn, number.strip()):
        raise Conflict(f"number: 案件编号 {number.strip()} 已被使用，请核对编号")
    numbering.register(
        tx, agency_id=agency_id, kind=CASE_KIND, number=number, moment=opened_at, tz=tz,
        subject=subject,
    )  # fmt: skip
    return number.strip()


@dataclass(frozen=True)
class CasePage:
    """One page of a case list: its rows (and for each the due times of its pending items
    not yet due), the page's number (1-based; the last page when the one asked for is past
    it), how many cases match and how many the reader has."""

    items: list[CaseSummary]
    upcoming: list[list[datetime]]
    number: int
    matched: int
    total: int
    more: bool = False  # more than ``matched`` match: a search counted up to SEARCH_COUNT_CAP


def list_page(
    store: Store,
    actor: Actor,
    wanted: Filter | None = None,
    *,
    page: int = 1,
    size: int | None = None,
    order: str = "opened",
    full: bool = False,
) -> CasePage:
    """The cases the actor may read that match ``wanted``: page ``page`` of ``size`` (all
    when None), newest first (or by ``order``, see ``store/queries/case_page.page``), with
    the open findings of each as of now. Paged, filtered and counted in SQL on the index of
    the summaries, whose JSON is read only when ``full`` (each case's whole party rather
    than its name); the list shown is on the ledger (000§18 实时调阅)."""
    from liuhen.services.cases.summaries import ensure_current, state_at

    require(actor, "case.read")
    scope = case_scope(actor, "case.read")
    assert scope is not None
    wanted = wanted or Filter()
    now = store.clock()
    ensure_current(store, now)
    with store.read() as conn:
        total = _count(store, conn, scope, Filter(), now)
        drive = case_list.search_drive(conn, scope, wanted, total)
        matched, more = _matched(store, conn, scope, wanted, now, total, drive)
        if size is not None:
            page = max(1, min(page, -(-matched // size)))
        offset = (page - 1) * size if size else 0
        limit = min(size or matched, matched - offset) if more else size  # the first `cap`
        columns = case_list.ROW if full else case_list.LINE
        rows = case_page.page(
            conn, scope, wanted, now, offset=offset, limit=limit, order=order, columns=columns,
            dense=_dense(wanted, matched, offset, size), drive=drive,
        )  # fmt: skip
    payload: dict[str, Any] = {"count": total}
    if wanted != Filter():
        payload["matched"] = matched
    if more:
        payload["more"] = True
    store.record_view(
        actor, "case.list_viewed", subject_type="case", subject_id="*", payload=payload
    )
    items: list[CaseSummary] = []
    upcoming: list[list[datetime]] = []
    passed = now - GRACE
    for row in rows:
        if full:
            case_id, _agency, summary = row
            summary["id"] = case_id
            items.append(_summary(summary, state_at(summary, now)))
            dues = summary.get("findings", ())
            pending = [f["due"] for f in dues if f["status"] == "pending" and f["due"]]
        else:
            items.append(_line(row, now))
            pending = row.pending_dues
        later = (datetime.fromisoformat(d) for d in pending)
        upcoming.append(sorted(d for d in later if d > passed))
    return CasePage(items, upcoming, page, matched, total, more)


def _dense(wanted: Filter, matched: int, offset: int, size: int | None) -> bool:
    """A page near the start of a common word's search: read its first matches, not all of
    them sorted (an unpaged search wants every match, so never)."""
    return bool(wanted.q) and size is not None and matched >= DENSE and offset + size <= DENSE_ROWS


def _line(row: Any, now: datetime) -> CaseSummary:
    """One list row from the summaries' index (no summary read)."""
    violations, pending = case_list.line_counts(row, now)
    return CaseSummary(
        id=row.case_id,
        number=row.number,
        title=row.title,
        procedure=row.procedure,
        stage=row.stage or "initiation",
        opened_at=row.opened_at,
        party={"name": row.party_name},
        violations=violations,
        pending=pending,
        overdue=int(row.c_overdue or 0),
    )


_COUNTED: WeakKeyDictionary[Store, OrderedDict[Any, int]] = WeakKeyDictionary()
_COUNTED_LOCK = Lock()


def _matched(
    store: Store, conn: Any, scope: Scope, wanted: Filter, now: datetime, total: int, drive: str
) -> tuple[int, bool]:
    """How many cases match ``wanted`` (of the reader's ``total``), and whether more do: a
    search is counted up to ``SEARCH_COUNT_CAP`` (read as ``drive`` says)."""
    if wanted == Filter():
        return total, False
    cap = SEARCH_COUNT_CAP if wanted.q else None
    found = _count(store, conn, scope, wanted, now, cap, drive)
    if cap is not None and found > cap:
        return cap, True
    return found, False


def _count(
    store: Store,
    conn: Any,
    scope: Scope,
    wanted: Filter,
    now: datetime,
    cap: int | None = None,
    drive: str = "",
) -> int:
    """How many cases match (up to ``cap + 1``, see ``case_list.count``): counted once per
    change of the records (a county's list is counted over a hundred thousand rows) when the
    filter reads only what the records alone decide (scope, stage, procedure, search words
    …), else counted each time (findings, dashboard figures and due dates move with the
    clock and the holiday schedules)."""
    from liuhen.services.cases.summaries import generation

    if wanted.problems or wanted.metric or wanted.due_by or wanted.overdue:
        return case_list.count(conn, scope, wanted, now, cap=cap, drive=drive)
    key = (generation(store), scope, wanted, cap)
    with _COUNTED_LOCK:
        known = _COUNTED.setdefault(store, OrderedDict())
        if key in known:
            known.move_to_end(key)
            return known[key]
    found = case_list.count(conn, scope, wanted, now, cap=cap, drive=drive)
    with _COUNTED_LOCK:
        known[key] = found
        while len(known) > 1000:
            known.popitem(last=False)
    return found


def list_cases(store: Store, actor: Actor) -> list[CaseSummary]:
    """Every case the actor may read, newest first, with its open findings as of now."""
    return list_page(store, actor, full=True).items


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
        overdue=len(state.overdue),
    )


def find_case(store: Store, ref: str) -> str:
    """A case id from an id or a case number; NotFound names what was asked for."""
    found = case_id_of(store, ref)
    if found is None:
        raise NotFound(f"CASE: 没有编号或标识为 {ref} 的案件")
    return found
