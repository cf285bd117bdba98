"""The dependencies every route uses to know who is asking and whether they may (signing in
itself is ``web/auth/login.py``).

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

from fastapi import Depends, Request

from liuhen.errors import AuthError, PermissionDenied
from liuhen.services.admin.rate_limits import limit_api
from liuhen.services.admin.sessions import (
    COOKIE,
    resume_session,
)
from liuhen.services.admin.users import User
from liuhen.services.approvals.queries import require_approval
from liuhen.services.permissions import (
    ACTIONS,
    load_case,
    owner_case,
    require,
    require_case,
    require_record,
)
from liuhen.store.store import Store

PUBLIC_ROUTES: dict[str, str] = {
    "/login": "登录页与登录表单",
    "/login/totp": "第二步：动态验证码（仅凭待完成的登录会话）",
    "/login/password": "临时密码登录后设置新密码（仅凭待完成的登录会话）",
    "/healthz": "健康检查（不含任何记录）",
    "/favicon.ico": "网站图标（转到 /static/favicon.svg）",
    "/readyz": "能否接收请求：数据库、文件存储、签名密钥、磁盘、节假日安排（不含任何记录）",
    "/static": "样式与脚本",
    "/static/swagger": "接口说明页的样式与脚本（fastapi-offline 程序包自带的 Swagger UI）",
    "/share/{token}": "经批准、有期限、单一用途的分享链接（令牌本身即授权）",
    "/share/{token}/files/{index}": "分享链接中的一份副本（同一令牌，计一次下载）",
}
"""The only paths reachable without signing in (no record is reachable through them
except the approved, expiring share link)."""

SIGNED_IN_ROUTES: dict[str, str] = {
    "/": "首页：本人的待办、到期与逾期事项（按角色）",
    "/logout": "退出登录",
    "/account/password": "修改本人密码（须输入当前密码）",
    "/api/openapi.json": "接口说明（不含记录）",
    "/api/docs": "接口说明页面",
}
"""Paths any signed-in user may use, whatever the role."""


def _case_of(table: str, noun: str) -> Callable[[Store, str], dict[str, Any] | None]:
    def resolve(store: Store, value: str) -> dict[str, Any] | None:
        case_id = owner_case(store, table, value, noun)
        return None if case_id is None else load_case(store, case_id)  # None: not yet linked

    return resolve


def _case_ref(store: Store, value: str) -> dict[str, Any]:
    return load_case(store, value, by_number=True)


CASE_PARAMS: dict[str, Callable[[Store, str], dict[str, Any] | None]] = {
    "case_ref": _case_ref,
    "record_id": _case_of("records", "记录"),
    "approval_id": _case_of("approvals", "审批"),
    "request_id": _case_of("access_requests", "查阅/复制申请"),
}
"""Path parameter -> how to load the case it belongs to (first match wins)."""


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def current_user(request: Request) -> User:
    """The signed-in user, or AuthError (pages redirect to /login)."""
    resumed = resume_session(get_store(request), request.cookies.get(COOKIE))
    if resumed is None:
        raise AuthError("请先登录")
    request.state.user, request.state.csrf = resumed
    if request.url.path.startswith("/api/"):  # counted per account on every node
        limit_api(get_store(request), resumed[0].id)
    return resumed[0]


def check_csrf(request: Request, token: str) -> None:
    expected = getattr(request.state, "csrf", None)
    if not expected or not secrets.compare_digest(expected, token or ""):
        raise PermissionDenied("表单已过期或来源不明，请刷新页面后重试")


def case_in_path(store: Store, params: dict[str, Any]) -> dict[str, Any] | None:
    """The case a route's path parameters name, loaded (``load_case``), or None."""
    for name, resolve in CASE_PARAMS.items():
        if params.get(name):
            return resolve(store, str(params[name]))
    return None


def loaded_case(request: Request) -> dict[str, Any]:
    """The case the permission check loaded for this request (handlers and the services
    they call take it from here instead of reading it again)."""
    case: dict[str, Any] | None = getattr(request.state, "case", None)
    if not case:
        raise RuntimeError(f"{request.url.path}: no case loaded by the permission check")
    return case


def case_if_loaded(request: Request) -> dict[str, Any] | None:
    """The case the permission check loaded, or None (footage no case holds)."""
    case: dict[str, Any] | None = getattr(request.state, "case", None)
    return case or None


def permission(action: str):  # type: ignore[no-untyped-def]
    """A dependency: the signed-in user, who must hold ``action`` on the case in the path.
    The case is loaded once, here, and kept on ``request.state.case`` (``loaded_case``)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")

    def dependency(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
        store = get_store(request)
        params = dict(request.path_params)
        case = case_in_path(store, params)
        if case is None:  # footage no case holds is scoped by its agency (footage_scope)
            if params.get("record_id"):
                require_record(store, user.actor, action, str(params["record_id"]))
            elif params.get("approval_id"):
                require_approval(store, user.actor, action, str(params["approval_id"]))
            else:
                require(user.actor, action)
            return user
        request.state.case = require_case(store, user.actor, action, case["id"], case)
        if request.method == "GET" and action != "case.read":
            # a form page shows the case too; case.read routes log through their service
            store.record_view(
                user.actor,
                "case.viewed",
                subject_type="case",
                subject_id=case["id"],
                case_id=case["id"],
                payload={"path": request.url.path, "for": action},
            )
        return user

    dependency.liuhen_action = action  # type: ignore[attr-defined]
    return dependency


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
