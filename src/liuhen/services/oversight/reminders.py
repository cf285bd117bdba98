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

from sqlalchemy import select

from liuhen.errors import InvalidInput
from liuhen.rules.engine.calendar import CalendarUnknown
from liuhen.services.admin.users import User
from liuhen.services.cases.summaries import with_states
from liuhen.services.permissions import allowed, require
from liuhen.store import tables as t
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


def _mine(store: Store, user: User, summary: dict[str, Any], created_by: dict[str, str]) -> bool:
    if user.officer_id and any(o == user.officer_id for o, _ in summary["officers"]):
        return True
    if created_by.get(summary["id"]) == user.id:
        return True
    return (
        "section_head" in user.roles and bool(user.section) and (summary["section"] == user.section)
    )


def inbox(store: Store, user: User, days: int = 5) -> Inbox:
    """The user's reminders: overdue items (oldest first), items due within ``days`` working
    days (soonest first), and approvals waiting for them."""
    require(user.actor, "case.read")
    window = due_window(store, days)
    limit = window.limit
    now = store.clock()
    with store.read() as conn:
        query = select(t.cases.c.id, t.cases.c.created_by)
        if user.agency_id:
            query = query.where(t.cases.c.agency_id == user.agency_id)
        created_by = dict(conn.execute(query).all())
    overdue: list[Reminder] = []
    due: list[Reminder] = []
    for s, state in with_states(store, user.agency_id, now):
        if not _mine(store, user, s, created_by):
            continue
        for bucket, items in ((overdue, state.overdue), (due, state.due)):
            for f in items:
                when = datetime.fromisoformat(f["due"])
                if bucket is due and when > limit:
                    continue
                bucket.append(
                    Reminder(
                        kind=f["type"],
                        kind_name=KINDS.get(f["type"], "其他事项"),
                        case_id=s["id"],
                        case_number=s["number"],
                        case_title=s["title"],
                        due=when,
                        citation=f["citation"],
                        message=f["message"],
                        link=f"/cases/{s['id']}",
                    )
                )
    overdue.sort(key=lambda r: r.due or now)
    due.sort(key=lambda r: r.due or now)
    return Inbox(days, limit, overdue, due, _approvals(store, user), window.notice)


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
            link="/approvals",
        )
        for a in approvals_inbox(store, user.actor)
    ]
