"""The case list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.services.cases import list_cases
from liuhen.services.users import User
from liuhen.web.auth import get_store, permission

router = APIRouter()


@router.get("/cases", include_in_schema=False)
def case_list(
    request: Request, user: Annotated[User, Depends(permission("case.read"))]
) -> Response:
    from liuhen.web.app import render

    items = [c.to_dict() for c in list_cases(get_store(request), user.actor)]
    return render(request, "cases.html", {"cases": items})


@router.get("/api/cases", tags=["cases"], summary="案件列表")
def api_cases(
    request: Request, user: Annotated[User, Depends(permission("case.read"))]
) -> dict[str, object]:
    return {"cases": [c.to_dict() for c in list_cases(get_store(request), user.actor)]}
