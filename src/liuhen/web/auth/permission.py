"""Sign-in (password, then TOTP for admin/head/custodian), sign-out, and the dependencies
every route uses to know who is asking and whether they may.

Convention for routes: every route declares its action with ``Depends(permission(ACTION))``
(or the ``user`` parameter annotated with it). The dependency finds the case the route is
about from its path parameters (``CASE_PARAMS``: ``case_ref``, ``record_id``,
``approval_id``, ``request_id``) and calls ``require(actor, ACTION, case)``. Routes open to
any signed-in user use ``Depends(current_user)`` and are listed in ``SIGNED_IN_ROUTES``;
routes open without sign-in are listed in ``PUBLIC_ROUTES``. A test walks ``app.routes``
and fails on any route that is none of these.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from liuhen.errors import AuthError, NotFound, PermissionDenied
from liuhen.services.admin.totp import (
    check_code,
    enrolment_secret,
    is_enrolled,
    needs_totp,
    provisioning_uri,
    qr_svg,
)
from liuhen.services.admin.users import User, authenticate
from liuhen.services.permissions import (
    ACTIONS,
    require,
    require_approval,
    require_case,
    require_record,
)
from liuhen.store.store import Store
from liuhen.web.auth.sessions import (
    COOKIE,
    PENDING_COOKIE,
    end_session,
    resume_pending,
    resume_session,
    start_session,
)

router = APIRouter()
LOGIN_CSRF_COOKIE = "liuhen_login_csrf"

PUBLIC_ROUTES: dict[str, str] = {
    "/login": "登录页与登录表单",
    "/login/totp": "第二步：动态验证码（仅凭待完成的登录会话）",
    "/healthz": "健康检查（不含任何记录）",
    "/static": "样式与脚本",
    "/": "跳转到 /cases",
    "/share/{token}": "经批准、有期限、单一用途的分享链接（令牌本身即授权）",
    "/share/{token}/files/{index}": "分享链接中的一份副本（同一令牌，计一次下载）",
}
"""The only paths reachable without signing in (no record is reachable through them
except the approved, expiring share link)."""

SIGNED_IN_ROUTES: dict[str, str] = {
    "/logout": "退出登录",
    "/api/openapi.json": "接口说明（不含记录）",
    "/api/docs": "接口说明页面",
}
"""Paths any signed-in user may use, whatever the role."""


def _case_of(table: str) -> Callable[[Store, str], str | None]:
    def resolve(store: Store, value: str) -> str | None:
        from sqlalchemy import select

        from liuhen.store import tables as t

        tbl = t.metadata.tables[table]
        with store.read() as conn:
            found = conn.execute(select(tbl.c.case_id).where(tbl.c.id == value)).first()
        if found is None:
            raise NotFound(f"{table}: 没有标识为 {value} 的对象")
        return None if found[0] is None else str(found[0])  # None: footage not yet linked

    return resolve


def _case_ref(store: Store, value: str) -> str:
    from liuhen.services.cases.cases import find_case

    return find_case(store, value)


CASE_PARAMS: dict[str, Callable[[Store, str], str | None]] = {
    "case_ref": _case_ref,
    "record_id": _case_of("records"),
    "approval_id": _case_of("approvals"),
    "request_id": _case_of("access_requests"),
}
"""Path parameter -> how to find the case it belongs to (first match wins)."""


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


def case_in_path(store: Store, params: dict[str, Any]) -> str | None:
    """The id of the case a route's path parameters name, or None."""
    for name, resolve in CASE_PARAMS.items():
        if params.get(name):
            return resolve(store, str(params[name]))
    return None


def permission(action: str):  # type: ignore[no-untyped-def]
    """A dependency: the signed-in user, who must hold ``action`` on the case in the path."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")

    def dependency(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
        store = get_store(request)
        params = dict(request.path_params)
        case_id = case_in_path(store, params)
        if case_id is None:  # footage no case holds is scoped by its agency (footage_scope)
            if params.get("record_id"):
                require_record(store, user.actor, action, str(params["record_id"]))
            elif params.get("approval_id"):
                require_approval(store, user.actor, action, str(params["approval_id"]))
            else:
                require(user.actor, action)
            return user
        request.state.case = require_case(store, user.actor, action, case_id)
        if request.method == "GET" and action != "case.read":
            # a form page shows the case too; case.read routes log through their service
            with store.transaction(user.actor) as tx:
                tx.record(
                    "case.viewed",
                    subject_type="case",
                    subject_id=case_id,
                    case_id=case_id,
                    payload={"path": request.url.path, "for": action},
                )
        return user

    dependency.liuhen_action = action  # type: ignore[attr-defined]
    return dependency


def _secure(request: Request) -> bool:
    """Cookies are Secure when served over https (or always in production)."""
    if request.app.state.settings.environment == "production":
        return True
    return request.url.scheme == "https"


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str = "/cases") -> Response:
    from liuhen.web.pages import render

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
    from liuhen.web.pages import render

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
    end_session(store, request.cookies.get(PENDING_COOKIE))
    if needs_totp(user.roles):
        token, _csrf = start_session(store, user, pending=True)
        response = RedirectResponse(
            f"/login/totp?{urlencode({'next': _safe_next(next)})}", status_code=303
        )
        response.set_cookie(
            PENDING_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response
    return _signed_in(request, user, next)


def _signed_in(request: Request, user: User, next: str) -> Response:
    store = get_store(request)
    token, _csrf = start_session(store, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    response.delete_cookie(PENDING_COOKIE)
    return response


def _pending(request: Request) -> tuple[User, str]:
    resumed = resume_pending(get_store(request), request.cookies.get(PENDING_COOKIE))
    if resumed is None:
        raise AuthError("登录已过期，请重新输入用户名和密码")
    return resumed


def _totp_page(
    request: Request, user: User, csrf: str, next: str, error: str | None, status: int = 200
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    context: dict[str, object] = {"next": _safe_next(next), "login_csrf": csrf, "error": error}
    if not is_enrolled(store, user.id):
        secret = enrolment_secret(store, user)
        uri = provisioning_uri(secret, user.username)
        context.update(enrol=True, secret=secret, qr=Markup(qr_svg(uri)))
    return render(request, "login_totp.html", context, status_code=status)


@router.get("/login/totp", include_in_schema=False)
def totp_page(request: Request, next: str = "/cases") -> Response:
    user, csrf = _pending(request)
    return _totp_page(request, user, csrf, next, None)


@router.post("/login/totp", include_in_schema=False)
def totp_step(
    request: Request,
    code: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/cases",
) -> Response:
    user, expected = _pending(request)
    if not secrets.compare_digest(expected, csrf):
        raise PermissionDenied("登录表单已过期，请刷新页面后重试")
    store = get_store(request)
    try:
        check_code(store, user, code)
    except AuthError as exc:
        return _totp_page(request, user, expected, next, exc.message, status=401)
    end_session(store, request.cookies.get(PENDING_COOKIE))
    return _signed_in(request, user, next)


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


@router.get("/api/openapi.json", include_in_schema=False)
def openapi(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    from fastapi.responses import JSONResponse

    return JSONResponse(request.app.openapi())


@router.get("/api/docs", include_in_schema=False)
def api_docs(user: Annotated[User, Depends(current_user)]) -> Response:
    from fastapi.openapi.docs import get_swagger_ui_html

    return get_swagger_ui_html(openapi_url="/api/openapi.json", title="留痕 LiuHen 接口")


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    if target.startswith("/login"):  # never back into the sign-in steps
        return "/cases"
    return target


def app_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Every route of the app as (full path, route), looking inside included routers."""
    found: list[tuple[str, Any]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # FastAPI keeps included routers as one entry
            context = getattr(route, "include_context", None)
            found += app_routes(inner.routes, prefix + getattr(context, "prefix", ""))
        else:
            found.append((prefix + getattr(route, "path", ""), route))
    return found
