"""Sign-in and sign-out, and the dependencies every page uses to know who is asking."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from liuhen.errors import AuthError, PermissionDenied
from liuhen.services.permissions import require
from liuhen.services.users import User, authenticate
from liuhen.store.store import Store
from liuhen.web.sessions import COOKIE, end_session, resume_session, start_session

router = APIRouter()
LOGIN_CSRF_COOKIE = "liuhen_login_csrf"


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def current_user(request: Request) -> User:
    """The signed-in user, or AuthError (pages redirect to /login)."""
    resumed = resume_session(get_store(request), request.cookies.get(COOKIE))
    if resumed is None:
        raise AuthError("请先登录")
    request.state.user, request.state.csrf = resumed
    return resumed[0]


def check_csrf(request: Request, token: str) -> None:
    expected = getattr(request.state, "csrf", None)
    if not expected or not secrets.compare_digest(expected, token or ""):
        raise PermissionDenied("表单已过期或来源不明，请刷新页面后重试")


def permission(action: str):  # type: ignore[no-untyped-def]
    """A dependency: the signed-in user, who must hold ``action``."""

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        require(user.actor, action)
        return user

    return dependency


def _secure(request: Request) -> bool:
    return request.app.state.settings.environment == "production"


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str = "/cases") -> Response:
    from liuhen.web.app import render

    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", {"next": _safe_next(next), "login_csrf": token, "error": None}
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/cases",
) -> Response:
    from liuhen.web.app import render

    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf):
        raise PermissionDenied("登录表单已过期，请刷新页面后重试")
    store = get_store(request)
    try:
        user = authenticate(store, username.strip(), password)
    except AuthError as exc:
        return render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "login_csrf": cookie,
                "error": exc.message,
                "username": username,
            },
            status_code=401,
        )
    end_session(store, request.cookies.get(COOKIE))  # rotate: never reuse a pre-login session
    token, _csrf = start_session(store, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", include_in_schema=False)
def logout(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    store = get_store(request)
    end_session(store, request.cookies.get(COOKIE))
    with store.transaction(user.actor) as tx:
        tx.record("auth.logged_out", subject_type="user", subject_id=user.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    return target
