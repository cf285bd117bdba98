"""我的待办: each user's reminders — due in the next N working days, and overdue."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from liuhen.errors import InvalidInput
from liuhen.services.admin.users import User
from liuhen.services.oversight.reminders import DAY_CHOICES, Inbox, inbox
from liuhen.web.auth.permission import get_store, permission
from liuhen.web.paging import API_MAX_SIZE, API_PAGE_SIZE, Page, api_size, paged, requested

router = APIRouter()
Reader = Annotated[User, Depends(permission("case.read"))]
SHOWN = 50
"""Items of each list a page of 我的待办 shows (the case list's page size); ``?page=N``
goes on, and the API's ``?size=`` up to ``API_MAX_SIZE``."""


def _days(raw: str) -> int:
    if not raw.strip().isdigit():
        raise InvalidInput("days: 工作日数应为 1 至 60 的整数")
    return int(raw)


@router.get("/inbox", include_in_schema=False)
def inbox_page(request: Request, user: Reader, days: str = "5") -> Response:
    from liuhen.web.pages import render

    box, page = _paged(request, user, _days(days), SHOWN)
    context = {"box": box, "day_choices": DAY_CHOICES, "page": page}
    return render(request, "inbox.html", context)


def _paged(request: Request, user: User, days: int, size: int) -> tuple[Inbox, Page]:
    """Page ``?page=`` of each of the user's lists, ``size`` items a page (the last page
    for a number past it), and the page's links; the lists hold that page's items only."""
    store = get_store(request)
    number = requested(request)
    box = inbox(store, user, days, shown=number * size)
    total = max(box.overdue_count, box.due_count)
    last = max(1, -(-total // size))
    if number > last:  # past the last page: the last one, as the case list does
        number = last
        box = inbox(store, user, days, shown=number * size)
    start = (number - 1) * size
    shown = replace(box, overdue=box.overdue[start:], due=box.due[start:])
    return shown, paged(request, [], number, total, size)


@router.get(
    "/api/inbox",
    tags=["reminders"],
    summary="我的待办（到期提醒与逾期事项），分页",
    description=(
        "``overdue``（逾期事项，最早的在前）与 ``due``（``days`` 个工作日内到期，最近的在前）"
        f"各给出第 ``page`` 页，每页 ``size`` 项（默认 {API_PAGE_SIZE}，至多 {API_MAX_SIZE}）；"
        "``overdue_count``、``due_count`` 为全部项数，``pages`` 为较长一列的页数（超出末页时给出末页），"
        "``links.next`` 为下一页的地址。``approvals``（待我审批）全部给出。"
    ),
)
def api_inbox(
    request: Request,
    user: Reader,
    days: str = "5",
    page: Annotated[str, Query(description="页码，从 1 起")] = "1",  # read by ``requested``
    size: Annotated[str, Query(description=f"每页项数，1–{API_MAX_SIZE}")] = str(API_PAGE_SIZE),
) -> dict[str, Any]:
    per_page = api_size(size)
    box, shown = _paged(request, user, _days(days), per_page)
    return {
        "days": box.days,
        "limit": box.limit.isoformat(),
        "notice": box.notice,
        "overdue": [r.to_dict() for r in box.overdue],
        "due": [r.to_dict() for r in box.due],
        "approvals": [r.to_dict() for r in box.approvals],
        "overdue_count": box.overdue_count,
        "due_count": box.due_count,
        "page": shown.number,
        "pages": shown.pages,
        "size": per_page,
        "links": shown.links,
    }
