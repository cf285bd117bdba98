"""调阅日志: who played, downloaded or read which stored file, straight from the ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.services.admin.users import User
from liuhen.services.av.views import access_events
from liuhen.web.auth.permission import get_store, permission

router = APIRouter(include_in_schema=False)
MODES = {"play": "播放", "download": "下载", "read": "查看"}


@router.get("/ledger/access")
def access_page(
    request: Request, user: Annotated[User, Depends(permission("ledger.read"))]
) -> Response:
    from liuhen.web.pages import render

    events = access_events(get_store(request), user.actor)
    return render(request, "av_access.html", {"events": events, "modes": MODES})
