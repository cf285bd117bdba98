"""修改密码: a signed-in user changes their own password (``/account/password``), and a user
signing in with a temporary password an administrator set chooses their own before anything
else opens (``/login/password``, on the pending session ``login._signed_in`` started)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import AuthError, InvalidInput, LiuhenError, PermissionDenied
from liuhen.services.admin.passwords import change_own_password, replace_temporary_password
from liuhen.services.admin.sessions import (
    COOKIE,
    PASSWORD_STEP,
    PENDING_COOKIE,
    end_session,
    resume_pending,
    token_hash,
)
from liuhen.services.admin.users import User
from liuhen.web.auth.login import _safe_next, _signed_in
from liuhen.web.auth.permission import check_csrf, current_user, get_store
from liuhen.web.forms import FormErrors, posted_form

router = APIRouter(include_in_schema=False)
FIELDS = ("current", "password", "again")
Posted_ = Annotated[FormData, Depends(posted_form)]


def _text(posted: FormData, name: str) -> str:
    value = posted.get(name, "")
    return value if isinstance(value, str) else ""


def _own_page(request: Request, errors: FormErrors | None = None) -> Response:
    from liuhen.web.pages import render

    return render(
        request,
        "password.html",
        {
            "errors": errors,
            "changed": request.query_params.get("changed") == "1" and errors is None,
        },
        status_code=errors.status if errors else 200,
    )


@router.get("/account/password")
def password_page(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    return _own_page(request)


@router.post("/account/password")
def change_password(
    request: Request, user: Annotated[User, Depends(current_user)], posted: Posted_
) -> Response:
    check_csrf(request, _text(posted, "csrf"))
    token = request.cookies.get(COOKIE)
    try:
        change_own_password(
            get_store(request),
            user,
            current=_text(posted, "current"),
            password=_text(posted, "password"),
            again=_text(posted, "again"),
            keep=token_hash(token) if token else None,
        )
    except LiuhenError as exc:
        return _own_page(request, FormErrors.of(exc, FIELDS))
    return RedirectResponse("/account/password?changed=1", status_code=303)


def _step(request: Request) -> tuple[User, str]:
    resumed = resume_pending(
        get_store(request), request.cookies.get(PENDING_COOKIE), step=PASSWORD_STEP
    )
    if resumed is None:
        raise AuthError("登录已过期，请重新输入用户名和临时密码")
    return resumed


def _step_page(
    request: Request, user: User, csrf: str, next: str, errors: FormErrors | None = None
) -> Response:
    from liuhen.web.pages import render

    return render(
        request,
        "login_password.html",
        {"next": _safe_next(next), "login_csrf": csrf, "errors": errors, "who": user},
        status_code=errors.status if errors else 200,
    )


@router.get("/login/password")
def temporary_password_page(request: Request, next: str = "/") -> Response:
    user, csrf = _step(request)
    return _step_page(request, user, csrf, next)


@router.post("/login/password")
def replace_password(request: Request, posted: Posted_) -> Response:
    user, expected = _step(request)
    if not secrets.compare_digest(expected, _text(posted, "csrf")):
        raise PermissionDenied("登录表单已过期，请刷新页面后重试")
    next = _text(posted, "next") or "/"
    store = get_store(request)
    try:
        replace_temporary_password(
            store, user, password=_text(posted, "password"), again=_text(posted, "again")
        )
    except InvalidInput as exc:
        return _step_page(request, user, expected, next, FormErrors.of(exc, FIELDS))
    end_session(store, request.cookies.get(PENDING_COOKIE))
    return _signed_in(request, user, next)
