"""The home page (首页) each user lands on after signing in: what waits for them (approvals to
decide, footage to store or to link, cases to file), what is due soon and what is overdue,
each with the button that does it, by the user's roles (``services/permissions.ROLES``).

Overdue and due-soon items come from the reminders (``reminders.inbox``: the user's cases)
and, for those who oversee an agency, from ``agency_overdue`` — both read the case
summaries' index, whose items ``summary_state.state_at`` decides, as the dashboard and the
case list do: one truth. Every list is counted and cut in SQL (``case_list``), so the page
costs the same whatever the store holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.services.admin.users import User
from liuhen.services.av.due import UploadDue, footage_warnings
from liuhen.services.av.unlinked import UnlinkedFootage, unlinked_footage
from liuhen.services.cases.summaries import ensure_current, state_at
from liuhen.services.oversight.reminders import KINDS, Inbox, Reminder, inbox
from liuhen.services.permissions import ROLES, allowed, case_scope
from liuhen.store.queries import case_list, case_page
from liuhen.store.queries.case_list import Filter
from liuhen.store.store import Store

SHOWN = 8
"""Items shown per list on the home page (each list says how many there are in all)."""
OVERSEERS = ("head", "supervisor", "custodian", "legal_reviewer")
"""Roles whose home page shows their whole reach's overdue items, not only their cases'."""


@dataclass(frozen=True)
class Tile:
    """One figure at the top of the page, linking to the list behind it."""

    key: str
    label: str
    count: int
    link: str
    tone: str = ""  # bad | due | calm


@dataclass(frozen=True)
class Shortcut:
    label: str
    link: str
    primary: bool = False


@dataclass
class Home:
    roles: list[str]
    tiles: list[Tile]
    mine: Inbox | None
    reach_overdue: list[Reminder] = field(default_factory=list)
    reach_overdue_count: int = 0
    footage: list[UploadDue] = field(default_factory=list)
    footage_count: int = 0
    unlinked: list[UnlinkedFootage] = field(default_factory=list)
    unlinked_count: int = 0
    to_file: list[dict[str, Any]] = field(default_factory=list)
    to_file_count: int = 0
    shortcuts: list[Shortcut] = field(default_factory=list)
    system: list[Any] = field(default_factory=list)  # readiness checks not ok (admin)
    can_act: bool = False  # may act on a case (else its items are only to look at)


def agency_overdue(
    store: Store, actor: Actor, now: datetime, shown: int = SHOWN
) -> tuple[list[Reminder], int]:
    """The ``shown`` oldest overdue items of every case the actor may read, and how many
    there are (the dashboard's figure for the same cases): the cases whose oldest item is
    oldest are read, nothing else."""
    scope = case_scope(actor, "case.read")
    assert scope is not None
    with store.read() as conn:
        count = case_list.total_overdue(conn, scope, Filter(overdue=True), now)
        rows = case_page.page(conn, scope, Filter(overdue=True), now, limit=shown, order="overdue")
    items: list[Reminder] = []
    for case_id, _agency, summary in rows:
        for f in state_at(summary, now).overdue:
            items.append(
                Reminder(
                    kind=f["type"],
                    kind_name=KINDS.get(f["type"], "其他事项"),
                    case_id=case_id,
                    case_number=summary["number"],
                    case_title=summary["title"],
                    due=datetime.fromisoformat(f["due"]),
                    citation=f["citation"],
                    message=f["message"],
                    link=f"/cases/{case_id}#next",
                )
            )
    items.sort(key=lambda r: (r.due or now, r.case_number))
    return items[:shown], count


def cases_to_file(store: Store, actor: Actor, now: datetime) -> tuple[list[dict[str, Any]], int]:
    """Closed cases whose case file is not formed yet (归档移交 waits for the custodian;
    the profile's ``case_file_deadline`` says by when): the first ``SHOWN`` and how many."""
    scope = case_scope(actor, "case.read")
    assert scope is not None
    wanted = Filter(metric="file_due")
    with store.read() as conn:
        count = case_list.count(conn, scope, wanted, now)
        rows = case_page.page(conn, scope, wanted, now, limit=SHOWN, columns=case_list.LINE)
    return [
        {
            "id": r.case_id,
            "number": r.number,
            "title": r.title,
            "link": f"/cases/{r.case_id}/filing",
        }
        for r in rows
    ], count


def _shortcuts(actions: frozenset[str]) -> list[Shortcut]:
    found: list[Shortcut] = []
    for action, label, link in (
        ("case.create", "立案", "/cases/new"),
        ("av.upload", "上传音像", "/uploads"),
        ("approval.decide", "待我审批", "/approvals"),
        ("dashboard.read", "监督看板", "/dashboard"),
        ("ledger.read", "日志与校验", "/ledger"),
        ("user.manage", "账户管理", "/users"),
        ("calendar.manage", "节假日安排", "/calendar"),
        ("device.manage", "设备", "/devices"),
    ):
        if action in actions:
            found.append(Shortcut(label, link, primary=not found))
    return found + [Shortcut("全部案件", "/cases")]


def home(store: Store, user: User, actions: frozenset[str]) -> Home:
    """Everything the user's home page shows (``actions``: what the user's roles may do)."""
    now = store.clock()
    ensure_current(store, now)
    actor = user.actor
    reads = allowed(actor, "case.read")
    works_cases = reads and any(r != "admin" for r in user.roles)
    mine = inbox(store, user, days=5, shown=SHOWN) if works_cases else None
    page = Home(
        roles=[ROLES.get(r, r) for r in user.roles],
        tiles=[],
        mine=mine,
        shortcuts=_shortcuts(actions),
        can_act=bool(actions & {"record.create", "approval.decide", "av.upload", "case.export"}),
    )
    if works_cases and any(r in OVERSEERS for r in user.roles):  # a section head's own
        # reminders already cover the section
        page.reach_overdue, page.reach_overdue_count = agency_overdue(store, actor, now)
    if reads and user.officer_id:
        warned = footage_warnings(store, actor, now, shown=SHOWN)
        page.footage, page.footage_count = list(warned), warned.total
    if "user.manage" in actions:  # the administrator: what the node needs (liuhen doctor)
        from liuhen.services.admin.readiness import readiness

        page.system = [c for c in readiness(store) if c.status != "ok"]
    if "av.upload" in actions and reads:  # footage no case holds: link it (关联案件)
        found = unlinked_footage(store, actor, now)
        page.unlinked, page.unlinked_count = found[:SHOWN], len(found)
    if "case.export" in actions and works_cases:
        page.to_file, page.to_file_count = cases_to_file(store, actor, now)
    page.tiles = _tiles(page, actions)
    return page


def _tiles(page: Home, actions: frozenset[str]) -> list[Tile]:
    tiles = []
    if page.mine is not None:
        if page.mine.approvals or "approval.decide" in actions:
            n = len(page.mine.approvals)
            tiles.append(Tile("approvals", "待我审批", n, "/approvals", "due" if n else "calm"))
        n = page.mine.overdue_count
        tiles.append(Tile("overdue", "我的逾期事项", n, "/inbox#overdue", "bad" if n else "calm"))
        n = page.mine.due_count
        label = f"{page.mine.days} 个工作日内到期"
        tiles.append(Tile("due", label, n, "/inbox#due", "due" if n else "calm"))
    if page.footage or page.footage_count:
        n = page.footage_count
        tiles.append(Tile("footage", "音像待存储", n, "/uploads", "bad"))
    if page.unlinked_count:
        n = page.unlinked_count
        tiles.append(Tile("unlinked", "未关联音像", n, "/av/unlinked", "due"))
    if page.reach_overdue_count or page.reach_overdue:
        n = page.reach_overdue_count
        tiles.append(
            Tile("reach", "本机关逾期事项", n, "/cases?problems=overdue", "bad" if n else "calm")
        )
    if page.to_file_count:
        n = page.to_file_count
        tiles.append(Tile("to_file", "已结案待归档", n, "#to-file", "due"))
    return tiles
