"""Cases with items due soon: a pending finding whose deadline falls within the next N
working days (by the Chinese holiday calendar, not by weekdays)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.errors import InvalidInput
from liuhen.services.admin.users import User
from liuhen.services.cases.cases import PROCEDURES, STAGES, list_cases
from liuhen.services.cases.summaries import CaseState, with_states
from liuhen.services.oversight.reminders import due_window
from liuhen.web.auth.permission import get_store, permission
from liuhen.web.av.panel import av_due_for
from liuhen.web.paging import page_of

router = APIRouter(include_in_schema=False)
DUE_CHOICES = (1, 3, 5, 10, 20)


def _days(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 60:
        raise InvalidInput("days: 工作日数应为 1 至 60 的整数")
    return int(raw)


def due_within(state: CaseState | None, limit: datetime) -> list[datetime]:
    """The deadlines of the case's outstanding items not yet due, up to ``limit``."""
    if state is None:
        return []
    return [when for f in state.due if (when := datetime.fromisoformat(f["due"])) <= limit]


@router.get("/cases/due")
def due_cases(
    request: Request, user: Annotated[User, Depends(permission("case.read"))], days: str = "3"
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    count = _days(days)
    now = store.clock()
    window = due_window(store, count)
    limit = window.limit
    items = [c.to_dict() for c in list_cases(store, user.actor)]
    states = {s["id"]: st for s, st in with_states(store, now=now)}  # the cached summaries
    shown = []
    for case in items:
        due = due_within(states.get(case["id"]), limit)
        if due:
            shown.append({**case, "next_due": min(due), "due_count": len(due)})
    shown.sort(key=lambda c: c["next_due"])
    page = page_of(request, shown)
    return render(
        request,
        "cases.html",
        {
            "cases": page.items,
            "page": page,
            "matched": len(shown),
            "total": len(items),
            "stages": STAGES,
            "procedures": PROCEDURES,
            "problem_filters": {},
            "chosen": {"stage": "", "procedure": "", "problems": "", "q": ""},
            "due": {"days": count, "limit": limit, "notice": window.notice},
            "av_due_items": av_due_for(request),
            "due_choices": DUE_CHOICES,
        },
    )
