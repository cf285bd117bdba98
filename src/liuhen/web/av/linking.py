"""关联案件 from the web: footage no case holds is linked to a case (and act) from the case
page's offers or from the unlinked-footage page (``services/av/linking``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.av.linking import link_footage
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.forms import posted_form

router = APIRouter(include_in_schema=False)
Uploader = Annotated[User, Depends(permission("av.upload"))]
Posted_ = Annotated[FormData, Depends(posted_form)]


@router.post("/av/{record_id}/link")
def link_page(request: Request, record_id: str, user: Uploader, posted: Posted_) -> Response:
    """Link the footage; back to the case page (its offers) or to the unlinked list, which
    shows a refusal beside the footage it concerns."""
    check_csrf(request, str(posted.get("csrf", "")))
    back = str(posted.get("back", ""))
    try:
        new, case_id = link_footage(
            get_store(request),
            user.actor,
            record_id,
            case_ref=str(posted.get("case", "")),
            act_id=str(posted.get("act", "")) or None,
        )
    except LiuhenError as exc:
        if back != "unlinked":
            raise
        from liuhen.web.av.unlinked import unlinked_view

        return unlinked_view(request, user, failed=(record_id, exc), status=exc.http_status)
    if back == "unlinked":
        return RedirectResponse(f"/av/unlinked?linked={new}", 303)
    return RedirectResponse(f"/cases/{case_id}#av-{new}", 303)
