"""我的待办: each user's reminders — due in the next N working days, and overdue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.errors import InvalidInput
from liuhen.services.admin.users import User
from liuhen.services.oversight.reminders import DAY_CHOICES, inbox
from liuhen.web.auth.permission import get_store, permission

router = APIRouter()
Reader = Annotated[User, Depends(permission("case.read"))]
SHOWN = 100  # per list on the page; the API returns every item


def _days(raw: str) -> int:
    if not raw.strip().isdigit():
        raise InvalidInput("days: 工作日数应为 1 至 60 的整数")
    return int(raw)


@router.get("/inbox", include_in_schema=False)
def inbox_page(request: Request, user: Reader, days: str = "5") -> Response:
    from liuhen.web.pages import render

    box = inbox(get_store(request), user, _days(days), shown=SHOWN)
    return render(request, "inbox.html", {"box": box, "day_choices": DAY_CHOICES, "shown": SHOWN})


@router.get("/api/inbox", tags=["reminders"], summary="我的待办（到期提醒与逾期事项）")
def api_inbox(request: Request, user: Reader, days: str = "5") -> dict[str, Any]:
    box = inbox(get_store(request), user, _days(days))
    return {
        "days": box.days,
        "limit": box.limit.isoformat(),
        "notice": box.notice,
        "overdue": [r.to_dict() for r in box.overdue],
        "due": [r.to_dict() for r in box.due],
        "approvals": [r.to_dict() for r in box.approvals],
    }
