"""编号字号: the head sets the 字号 of the agency's case and document numbers (each change
a new version on the ledger), allows or forbids typed numbers, and reads the year's register
of numbers with its gaps, explaining a withdrawn or skipped one (services/cases/numbering)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import InvalidInput, LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.cases.numbering import set_style, void_number
from liuhen.services.cases.numbering_view import numbering_page
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.forms import posted_form

router = APIRouter(include_in_schema=False)
ACTION = "numbering.manage"


def _year(text: str, fallback: int) -> int:
    if not text:
        return fallback
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise InvalidInput("年份有误", details=["year: 年份应为 2000–2100 之间的四位数字"])
    return int(text)


def _page(
    request: Request,
    user: User,
    year: int | None = None,
    *,
    error: LiuhenError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    page = numbering_page(store, user.actor, year or store.clock().year)
    return render(
        request,
        "numbering.html",
        {
            "active": "numbering",
            "page": page,
            "error": error,
            "typed": typed or {},
            "saved": request.query_params.get("saved", ""),
            "opened": request.query_params.get("kind", ""),
        },
        status_code=error.http_status if error else 200,
    )


@router.get("/numbering")
def numbering(request: Request, user: Annotated[User, Depends(permission(ACTION))]) -> Response:
    store = get_store(request)
    try:
        year = _year(request.query_params.get("year", ""), store.clock().year)
    except LiuhenError as exc:
        return _page(request, user, error=exc)
    return _page(request, user, year)


@router.post("/numbering/style")
def save_style(
    request: Request,
    user: Annotated[User, Depends(permission(ACTION))],
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    kind = str(posted.get("kind", ""))
    word = str(posted.get("word", ""))
    try:
        set_style(
            get_store(request),
            user.actor,
            kind=kind,
            word=word,
            di=bool(posted.get("di")),
            manual=bool(posted.get("manual")),
        )
    except LiuhenError as exc:
        return _page(request, user, error=exc, typed={"kind": kind, "word": word})
    return RedirectResponse(f"/numbering?saved=style&kind={kind}#kind-{kind}", status_code=303)


@router.post("/numbering/void")
def void(
    request: Request,
    user: Annotated[User, Depends(permission(ACTION))],
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    kind, reason = str(posted.get("kind", "")), str(posted.get("reason", ""))
    serial = str(posted.get("serial", ""))
    try:
        year = _year(str(posted.get("year", "")), store.clock().year)
        if not serial.isdigit():
            raise InvalidInput("作废登记有误", details=["serial: 请填写序号（数字）"])
        void_number(store, user.actor, kind=kind, year=year, serial=int(serial), reason=reason)
    except LiuhenError as exc:
        return _page(request, user, error=exc, typed={"kind": kind, "reason": reason})
    return RedirectResponse(
        f"/numbering?year={year}&saved=void&kind={kind}#register-{kind}", status_code=303
    )
