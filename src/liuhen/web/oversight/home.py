"""首页: where signing in lands — what waits for the user, what is due and what is overdue,
by role (``services/oversight/home``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.services.admin.users import User
from liuhen.services.oversight.home import home
from liuhen.services.permissions import actions_for
from liuhen.web.auth.permission import current_user, get_store

router = APIRouter(include_in_schema=False)


@router.get("/")
def home_page(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    from liuhen.web.pages import render

    page = home(get_store(request), user, actions_for(user.roles))
    return render(request, "home.html", {"home": page, "active": "home"})
