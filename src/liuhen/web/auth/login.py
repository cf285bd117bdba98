"""Signing in (password, then a TOTP code for admin/head/custodian), signing out, and the API description pages."""

from __future__ import annotations

import secrets
from ipaddress import ip_address
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from liuhen.errors import AuthError, PermissionDenied, RateLimited
from liuhen.services.admin.passwords import must_change_password
from liuhen.services.admin.rate_limits import limit_signin
from liuhen.services.admin.sessions import (
    COOKIE,
    PASSWORD_STEP,
    PENDING_COOKIE,
    end_session,
    resume_pending,
    start_session,
)
from liuhen.services.admin.totp import (
    check_code,
    enrolment_secret,
    is_enrolled,
    needs_totp,
    provisioning_uri,
    qr_svg,
)
from liuhen.services.admin.users import User, authenticate
from liuhen.web.auth.permission import check_csrf, current_user, get_store

router = APIRouter()
LOGIN_CSRF_COOKIE = "liuhen_login_csrf"


def _secure(request: Request) -> bool:
    """Cookies are Secure when served over https: directly, or behind a reverse proxy the
    settings trust (``LIUHEN_TRUSTED_PROXIES``) that says so in ``X-Forwarded-Proto``;
    always in production or with ``LIUHEN_COOKIE_SECURE=always``."""
    settings = request.app.state.settings
    if settings.environment == "production" or settings.cookie_secure == "always":
        return True
    return request.url.scheme == "https" or forwarded_https(request, settings.trusted_networks)


def forwarded_https(request: Request, trusted: tuple[Any, ...]) -> bool:
    """The request came through a trusted proxy that received it over https (the last
    ``X-Forwarded-Proto`` entry, or ``proto=`` of the last ``Forwarded`` element: the
    nearest proxy's word). An untrusted client's header counts for nothing."""
    client = request.client.host if request.client else ""
    try:
        address = ip_address(client)
    except ValueError:
        return False
    if not any(address in network for network in trusted):
        return False
    proto = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    if not proto:
        last = request.headers.get("forwarded", "").split(",")[-1]
        pairs = dict(p.strip().lower().partition("=")[::2] for p in last.split(";") if "=" in p)
        proto = pairs.get("proto", "").strip('"')
    return proto == "https"


def _address(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For already applied by uvicorn)."""
    return request.client.host if request.client else ""


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str = "/") -> Response:
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
    next: Annotated[str, Form()] = "/",
) -> Response:
    from liuhen.web.pages import render

    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf):
        raise PermissionDenied("登录表单已过期，请刷新页面后重试")
    store = get_store(request)
    try:
        limit_signin(store, _address(request))
        user = authenticate(store, username.strip(), password)
    except (AuthError, RateLimited) as exc:
        page = render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "login_csrf": cookie,
                "error": exc.message,
                "username": username,
            },
            status_code=exc.http_status,
        )
        page.headers.update(exc.http_headers)
        return page
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
    if must_change_password(store, user.id):  # a temporary password: choose one first
        return _password_step(request, user, next)
    token, _csrf = start_session(store, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    response.delete_cookie(PENDING_COOKIE)
    return response


def _password_step(request: Request, user: User, next: str) -> Response:
    """A pending session that opens only the page to replace a temporary password."""
    token, _csrf = start_session(get_store(request), user, pending=True, step=PASSWORD_STEP)
    target = f"/login/password?{urlencode({'next': _safe_next(next)})}"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        PENDING_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
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
def totp_page(request: Request, next: str = "/") -> Response:
    user, csrf = _pending(request)
    return _totp_page(request, user, csrf, next, None)


@router.post("/login/totp", include_in_schema=False)
def totp_step(
    request: Request,
    code: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    user, expected = _pending(request)
    if not secrets.compare_digest(expected, csrf):
        raise PermissionDenied("登录表单已过期，请刷新页面后重试")
    store = get_store(request)
    try:
        limit_signin(store, _address(request))
        check_code(store, user, code)
    except (AuthError, RateLimited) as exc:
        page = _totp_page(request, user, expected, next, exc.message, status=exc.http_status)
        page.headers.update(exc.http_headers)
        return page
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
def api_docs(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    """Swagger UI served from this server (``/static/swagger``: the fastapi-offline
    package's copy), so the reference works on a network with no way out."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "api_docs.html", {})


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith("/login"):  # never back into the sign-in steps
        return "/"
    return target
