"""Cases with items due soon: a pending finding whose deadline falls within the next N
working days (by the Chinese holiday calendar, not by weekdays)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.errors import InvalidInput
from liuhen.services.admin.users import User
from liuhen.services.cases.cases import PROCEDURES, STAGES, Filter, list_page
from liuhen.services.cases.rejudge import notice as rejudging_notice
from liuhen.services.oversight.reminders import due_window
from liuhen.web.auth.permission import get_store, permission
from liuhen.web.av.panel import av_due_for
from liuhen.web.paging import PAGE_SIZE, paged, requested

router = APIRouter(include_in_schema=False)
DUE_CHOICES = (1, 3, 5, 10, 20)


def _days(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 60:
        raise InvalidInput("days: 工作日数应为 1 至 60 的整数")
    return int(raw)


@router.get("/cases/due")
def due_cases(
    request: Request, user: Annotated[User, Depends(permission("case.read"))], days: str = "3"
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    count = _days(days)
    window = due_window(store, count)
    limit = window.limit
    listing = list_page(
        store,
        user.actor,
        Filter(due_by=limit),
        page=requested(request),
        size=PAGE_SIZE,
        order="due",
    )
    shown = []
    for case, upcoming in zip(listing.items, listing.upcoming, strict=True):
        due = [when for when in upcoming if when <= limit]
        shown.append({**case.to_dict(), "next_due": min(due, default=None), "due_count": len(due)})
    page = paged(request, shown, listing.number, listing.matched)
    return render(
        request,
        "cases.html",
        {
            "cases": page.items,
            "page": page,
            "matched": listing.matched,
            "total": listing.total,
            "stages": STAGES,
            "procedures": PROCEDURES,
            "problem_filters": {},
            "chosen": {"stage": "", "procedure": "", "problems": "", "q": ""},
            "due": {"days": count, "limit": limit, "notice": window.notice},
            "av_due_items": av_due_for(request),
            "rejudging": rejudging_notice(store),
            "due_choices": DUE_CHOICES,
        },
    )
