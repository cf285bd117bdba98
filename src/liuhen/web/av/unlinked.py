"""未关联音像: footage no case holds, oldest first, with its age and the profile's finding.
For custodians (and anyone who reads cases); the footage is kept whatever its age."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.av.unlinked import unlinked_footage
from liuhen.services.permissions import actions_for
from liuhen.web.auth.permission import get_store, permission

router = APIRouter()


@router.get("/av/unlinked", include_in_schema=False)
def unlinked_page(
    request: Request, user: Annotated[User, Depends(permission("case.read"))]
) -> Response:
    return unlinked_view(request, user)


def unlinked_view(
    request: Request,
    user: User,
    *,
    failed: tuple[str, LiuhenError] | None = None,
    status: int = 200,
) -> Response:
    """The list, with a link form on each item for those who may link (``av.upload``);
    ``failed``: the footage whose link was refused and why (shown beside it)."""
    from liuhen.web.pages import render

    store = get_store(request)
    items = unlinked_footage(store, user.actor, store.clock())
    linked = request.query_params.get("linked", "")
    context = {
        "items": items,
        "active": "av",
        "can_link": "av.upload" in actions_for(user.roles),
        "linked": linked,
        "failed_id": failed[0] if failed else "",
        "failed": failed[1].message.partition(": ")[2] or failed[1].message if failed else "",
    }
    return render(request, "av_unlinked.html", context, status_code=status)


@router.get("/api/av/unlinked", tags=["av"], summary="未关联案件的音像记录（含时长与评查发现）")
def api_unlinked(
    request: Request, user: Annotated[User, Depends(permission("case.read"))]
) -> dict[str, object]:
    store = get_store(request)
    return {
        "items": [
            {
                "id": f.id,
                "title": f.title,
                "stored_at": f.stored_at.isoformat(),
                "age_seconds": f.age.total_seconds(),
                "status": f.status,
                "due": f.due.isoformat() if f.due else None,
                "citation": f.citation,
                "message": f.message,
            }
            for f in unlinked_footage(store, user.actor, store.clock())
        ]
    }
