"""草稿: the act and document forms save what is typed to the server as it is typed
(``static/drafts.js``), so a dropped connection or a closed page on site loses nothing; the
form opened again offers the draft back. JSON for the script; the draft is the writer's own
and is consumed when the form is saved (``services/cases/drafts.py``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from liuhen.errors import InvalidInput
from liuhen.services.admin.users import User
from liuhen.services.cases.drafts import consume_draft, load_draft, save_draft
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission

router = APIRouter(include_in_schema=False)
Officer = Annotated[User, Depends(permission("record.create"))]
BODY_MAX = 1024 * 1024


@router.get("/cases/{case_ref}/drafts")
def read_draft(request: Request, case_ref: str, user: Officer, form: str = "") -> Response:
    draft = load_draft(get_store(request), user.actor, loaded_case(request), form)
    if draft is None:
        return JSONResponse({"found": False})
    tz = get_store(request).settings.tz
    at = draft.saved_at.astimezone(tz).strftime("%m月%d日 %H:%M:%S")
    return JSONResponse({"found": True, "fields": draft.fields, "saved_at": at})


@router.put("/cases/{case_ref}/drafts")
async def write_draft(request: Request, case_ref: str, user: Officer, form: str = "") -> Response:
    check_csrf(request, request.headers.get("x-csrf-token", ""))
    raw = await request.body()
    if len(raw) > BODY_MAX:
        raise InvalidInput("fields: 草稿内容过长")
    try:
        body: Any = json.loads(raw or b"{}")
    except ValueError as exc:
        raise InvalidInput("fields: 草稿不是有效的 JSON") from exc
    fields = body.get("fields") if isinstance(body, dict) else None
    draft = save_draft(get_store(request), user.actor, loaded_case(request), form, fields)
    at = draft.saved_at.astimezone(get_store(request).settings.tz).strftime("%H:%M:%S")
    return JSONResponse({"revision": draft.revision, "saved_at": at})


@router.delete("/cases/{case_ref}/drafts")
def discard_draft(request: Request, case_ref: str, user: Officer, form: str = "") -> Response:
    check_csrf(request, request.headers.get("x-csrf-token", ""))
    consume_draft(get_store(request), user.actor, str(loaded_case(request)["id"]), form)
    return Response(status_code=204)
