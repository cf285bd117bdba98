"""Reminders (我的待办): what is due from one user in the next N working days, and overdue.

Deadlines come from the engine (via the case summaries, so a deadline passed since is
overdue now) and are counted in working days of the Chinese holiday calendar. A user's
cases are those they took part in as an officer, opened, or — for a section head — those
of their section; approvals waiting for the user's decision come from the approvals inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from liuhen.errors import InvalidInput
from liuhen.rules.engine.calendar import CalendarUnknown
from liuhen.services.admin.users import User
from liuhen.services.cases.summaries import ensure_current, state_at
from liuhen.services.permissions import allowed, require
from liuhen.store.queries import case_list
from liuhen.store.queries import inbox as inbox_sql
from liuhen.store.queries.case_list import Scope
from liuhen.store.store import Store

DAY_CHOICES = (1, 3, 5, 10, 20)

KINDS: dict[str, str] = {
    "av_upload_deadline": "上传音像记录",
    "approval_required": "审批（补报）",
    "rectification_reinspection": "整改复查",
    "case_file_deadline": "形成案卷",
    "followup_deadline": "后续事项",
    "document_served": "送达文书",
    "approval": "待我审批",
}


@dataclass(frozen=True)
class Reminder:
    kind: str  # a rule type, or "approval"
    kind_name: str
    case_id: str
    case_number: str
    case_title: str
    due: datetime | None
    citation: str
    message: str
    link: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "due": self.due.isoformat() if self.due else None}


@dataclass(frozen=True)
class Window:
    """The "due soon" window: up to the end of the N-th working day, or, when that runs into
    a year whose holiday schedule nobody has loaded, up to the end of the last known day
    (``unknown_year`` says which year cut it short: the page says so)."""

    days: int
    limit: datetime
    unknown_year: int | None = None

    @property
    def notice(self) -> str:
        if self.unknown_year is None:
            return ""
        return (
            f"{self.unknown_year}年的节假日安排尚未载入，无法按工作日计算{self.days}个工作日："
            f"只列出{self.limit:%Y年%m月%d日}前到期的事项。请系统管理员在“节假日”页面载入该年安排。"
        )


@dataclass(frozen=True)
class Inbox:
    days: int
    limit: datetime
    overdue: list[Reminder]
    due: list[Reminder]
    approvals: list[Reminder]
    notice: str = ""
    overdue_count: int = 0  # of all, when ``overdue`` holds the first few only
    due_count: int = 0


def due_window(store: Store, days: int) -> Window:
    """The window of "due soon": to the end of the ``days``-th working day from today."""
    if not 1 <= days <= 60:
        raise InvalidInput("days: 工作日数应为 1 至 60 的整数")
    tz = store.settings.tz
    today = store.clock().astimezone(tz).date()
    try:
        last = store.calendar().add_working_days(today, days)
    except CalendarUnknown as exc:  # late in December before next year's schedule is loaded
        known_end = date(exc.year - 1, 12, 31)
        return Window(days, datetime.combine(max(known_end, today), time.max, tz), exc.year)
    return Window(days, datetime.combine(last, time.max, tz))


def _mine(user: User) -> Scope:
    """A user's cases: those they opened or are an officer on, and for a section head every
    case of their section (of their agency)."""
    section_head = "section_head" in user.roles and bool(user.section) and bool(user.agency_id)
    return Scope(
        agency_id=user.agency_id if section_head else None,
        section=user.section if section_head else None,
        user_id=user.id,
        officer_id=user.officer_id,
    )


def _reminder(summary: dict[str, Any], f: dict[str, Any]) -> Reminder:
    return Reminder(
        kind=f["type"],
        kind_name=KINDS.get(f["type"], "其他事项"),
        case_id=summary["id"],
        case_number=summary["number"],
        case_title=summary["title"],
        due=datetime.fromisoformat(f["due"]),
        citation=f["citation"],
        message=f["message"],
        link=f"/cases/{summary['id']}",
    )


def inbox(store: Store, user: User, days: int = 5, shown: int | None = None) -> Inbox:
    """The user's reminders: overdue items (oldest first), items due within ``days`` working
    days (soonest first), and approvals waiting for them; ``shown`` of each at most (the
    counts are of all). The database picks, orders and counts the cases with such items on
    indexes (``store/queries/inbox``); only the summaries of the first few are read."""
    require(user.actor, "case.read")
    window = due_window(store, days)
    limit = window.limit
    now = store.clock()
    ensure_current(store, now)
    scope = _mine(user)
    with store.read() as conn:
        late = inbox_sql.overdue_lines(conn, scope, user.agency_id, shown)
        overdue = _oldest_overdue(conn, late, now, shown)
        overdue_items = inbox_sql.overdue_items(conn, scope, user.agency_id) if late else 0
        due_rows = case_list.rows_of(conn, inbox_sql.due_soon(conn, scope, user.agency_id, limit))
    due: list[Reminder] = []
    for case_id, _agency, summary in due_rows.values():
        summary["id"] = case_id
        for f in state_at(summary, now).due:
            reminder = _reminder(summary, f)
            if reminder.due is not None and reminder.due <= limit:
                due.append(reminder)
    due.sort(key=lambda r: (r.due or now, r.case_number))
    return Inbox(
        days,
        limit,
        overdue[:shown],
        due[:shown],
        _approvals(store, user),
        window.notice,
        overdue_count=max(overdue_items, len(overdue)),
        due_count=len(due),
    )


def _oldest_overdue(conn: Any, late: list[Any], now: datetime, shown: int | None) -> list[Reminder]:
    """The ``shown`` oldest overdue items (all when None), oldest first, from the cases of
    ``late`` (in the order of their oldest overdue item; the first ``shown`` such cases
    hold the ``shown`` oldest items, each case at least one): their summaries are read a
    few at a time, until no case left can hold an item older than the last one kept."""
    found: list[Reminder] = []
    step = len(late) if shown is None else 25
    for start in range(0, len(late), max(step, 1)):
        chunk = late[start : start + step]
        rows = case_list.rows_of(conn, [line.case_id for line in chunk])
        for case_id, _agency, summary in (rows[c.case_id] for c in chunk if c.case_id in rows):
            summary["id"] = case_id
            found += [_reminder(summary, f) for f in state_at(summary, now).overdue]
        found.sort(key=lambda r: (r.due or now, r.case_number))
        if shown is None or len(found) < shown or start + step >= len(late):
            continue
        following = late[start + step].c_oldest_overdue
        if found[shown - 1].due is not None and found[shown - 1].due <= following:
            break
    return found if shown is None else found[:shown]


def _approvals(store: Store, user: User) -> list[Reminder]:
    if not allowed(user.actor, "approval.decide"):
        return []
    from liuhen.services.approvals.queries import inbox as approvals_inbox

    return [
        Reminder(
            kind="approval",
            kind_name=KINDS["approval"],
            case_id=a.case_id or "",
            case_number=a.case_number or "未关联案件",
            case_title=a.case_title or f"《{a.subject_title}》",
            due=None,
            citation="",
            message=f"{a.kind_name}{'（紧急情况补报）' if a.emergency else ''}等待审批",
            link=f"/approvals#approval-{a.id}",
        )
        for a in approvals_inbox(store, user.actor)
    ]
