"""未关联音像: footage no case holds, oldest first, with its age and the profile's finding.
For custodians (and anyone who reads cases); the footage is kept whatever its age."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.services.admin.users import User
from liuhen.services.av.unlinked import unlinked_footage
from liuhen.web.auth.permission import get_store, permission

router = APIRouter()


@router.get("/av/unlinked", include_in_schema=False)
def unlinked_page(
    request: Request, user: Annotated[User, Depends(permission("case.read"))]
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    items = unlinked_footage(store, user.actor, store.clock())
    return render(request, "av_unlinked.html", {"items": items, "active": "av"})


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
