"""The web app factory: one Store, security headers, sessions, and error pages in one place."""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import jinja2.bccache
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liuhen.config import Settings
from liuhen.errors import AuthError, LiuhenError, PermissionDenied
from liuhen.jobs.kinds import runner_for
from liuhen.ledger.events import Actor
from liuhen.services.admin.doctor import pdf_warning
from liuhen.services.admin.readiness import readiness
from liuhen.services.permissions import record_denial
from liuhen.store.store import Store
from liuhen.web.pages import localtime, render
from liuhen.web.validation import invalid_request, unreadable_body

SWAGGER = importlib.resources.files("fastapi_offline") / "static"
"""Swagger UI's script and style as the fastapi-offline package ships them: the API reference
works with no way out to the internet (and under ``script-src 'self'``)."""
HERE = Path(__file__).parent
log = logging.getLogger(__name__)
INTERNAL = "服务器内部错误：请求未能完成，未保存任何内容。请稍后重试；如反复出现，请联系系统管理员查看服务日志"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(
    settings: Settings, *, store: Store | None = None, fixity_interval: float | None = None
) -> FastAPI:
    """The app, with this node's job runner (``jobs/runner.py``: the cluster's jobs, and the
    scheduled ones); with ``fixity_interval`` (seconds) the fixity audit is one of them
    (``liuhen serve`` passes ``LIUHEN_FIXITY_INTERVAL_MINUTES``; one node runs each slot)."""
    the_store = store or Store.open(settings)
    app = FastAPI(
        title="留痕 LiuHen",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan(the_store, close_store=store is None),
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.jobs = runner_for(the_store, fixity_interval)
    app.state.templates = _templates(settings)
    app.mount("/static/swagger", StaticFiles(directory=str(SWAGGER)), name="swagger")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(_Headers, production=settings.environment == "production")
    _add_error_handlers(app)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> RedirectResponse:  # what browsers ask for before any page says
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        checks = readiness(the_store)
        ready = all(c.status != "fail" for c in checks)
        body = {
            "status": "ready" if ready else "not ready",
            "checks": [c.to_dict() for c in checks],
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    _include_routers(app)
    return app


def _lifespan(
    the_store: Store, *, close_store: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """While the app serves: its job runner claims jobs and makes the scheduled ones; after:
    the runner stops (handing back the job it runs) and, when the app opened the store
    (``close_store``), the views still queued are written and the store closed."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.jobs.start()
        try:
            yield
        finally:
            app.state.jobs.stop()
            if close_store:  # the app opened it: write the views still queued, then close
                the_store.close()

    return lifespan


_DICT_NAMES = frozenset(dir(dict))


class _Pages(jinja2.Environment):
    """Jinja as Starlette sets it up, with a quicker ``x.key`` on a dict (the view models'
    rows are dicts): Jinja tries the attribute first and reaches the key through a caught
    ``AttributeError``, ~1 µs a lookup and some 750 on a list of 50 cases. A name that is
    no attribute of ``dict`` (``items``, ``get`` … stay methods) is looked up as the key
    at once: the same answer, without the exception."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class _CompiledOnce(jinja2.BytecodeCache):
    """Templates compiled once a process, whatever the number of apps made in it (each
    app has its own environment: its settings' filters); keyed by Jinja on the template's
    name and source checksum, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledOnce()


def _templates(settings: Settings) -> Jinja2Templates:
    """The Jinja environment with the filters and globals every template may use."""
    from liuhen.archive import four_properties
    from liuhen.domain import vocab
    from liuhen.services.permissions import actions_for
    from liuhen.web.av import panel as av_panel

    loader = jinja2.FileSystemLoader(str(HERE / "templates"))
    templates = Jinja2Templates(
        env=_Pages(loader=loader, autoescape=jinja2.select_autoescape(), bytecode_cache=_COMPILED)
    )
    # templates are read once (a stat of every template on every page otherwise), except
    # while developing
    templates.env.auto_reload = settings.environment == "development"
    templates.env.filters["localtime"] = lambda value: localtime(value, settings)
    templates.env.globals.update(  # constants and pure helpers every template may use
        retention_terms=vocab.RETENTION_TERMS,
        four_names=four_properties.PROPERTIES,
        user_actions=lambda user: actions_for(user.roles),
        **av_panel.TEMPLATE_GLOBALS,
        system_warning=pdf_warning(),  # None unless `serve --without-pdf`
    )
    return templates


def _add_error_handlers(app: FastAPI) -> None:
    """LiuhenError and HTTP errors as an error page, a login redirect, or JSON under /api/."""

    @app.exception_handler(LiuhenError)
    def liuhen_error(request: Request, exc: LiuhenError) -> Response:
        if isinstance(exc, PermissionDenied):  # the refused work has rolled back: log apart
            record_denial(app.state.store, exc, _actor(request))
        if isinstance(exc, AuthError) and not request.url.path.startswith("/api/"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                exc.to_dict(), status_code=exc.http_status, headers=exc.http_headers
            )
        page = render(
            request,
            "error.html",
            {"message": exc.message, "details": exc.details, "status": exc.http_status},
            status_code=exc.http_status,
        )
        page.headers.update(exc.http_headers)
        return page

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return liuhen_error(request, invalid_request(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (400, 413, 422):  # the body parser's refusals
            return liuhen_error(request, unreadable_body(exc.status_code, str(exc.detail)))
        message = {404: "页面不存在", 405: "不支持的请求方式"}.get(exc.status_code, "请求无法处理")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "http", "message": message}, status_code=exc.status_code)
        return render(
            request, "error.html", {"message": message, "details": []}, status_code=exc.status_code
        )

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        """Last resort: the project's format, never the framework's text or a traceback. A
        database failure met outside the store's own guards (an outage: 503) says so."""
        explained = app.state.store.explain(exc)
        if explained is not None:
            log.warning("database failure on %s %s: %s", request.method, request.url.path, exc)
            return liuhen_error(request, explained)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        try:
            return liuhen_error(request, LiuhenError(INTERNAL))
        except Exception:  # noqa: BLE001  (even the error page failed: plain text)
            return PlainTextResponse(INTERNAL, status_code=500)


def _include_routers(app: FastAPI) -> None:
    """Every feature's routes, in the order that matters where paths overlap.

    Long: one list, so the order of overlapping paths is read in one place."""
    from liuhen.web.access import downloads as files
    from liuhen.web.access import redactions as access_redactions
    from liuhen.web.access import requests as access_requests
    from liuhen.web.access import share
    from liuhen.web.admin import accounts, calendar
    from liuhen.web.approvals import authorisations
    from liuhen.web.approvals import decisions as approvals
    from liuhen.web.archiving import case_archive, exports
    from liuhen.web.auth import login, password
    from liuhen.web.av import access as av_access
    from liuhen.web.av import api as api_av
    from liuhen.web.av import devices, uploads
    from liuhen.web.av import linking as av_linking
    from liuhen.web.av import record as av_record
    from liuhen.web.av import unlinked as av_unlinked
    from liuhen.web.cases import documents as case_documents
    from liuhen.web.cases import drafts as case_drafts
    from liuhen.web.cases import listing as cases
    from liuhen.web.cases import new as case_new
    from liuhen.web.cases import numbering as case_numbering
    from liuhen.web.cases import override as case_override
    from liuhen.web.cases import service as case_service
    from liuhen.web.cases import signing as case_signing
    from liuhen.web.cases import steps as case_steps
    from liuhen.web.oversight import dashboard, home, inbox, ledger
    from liuhen.web.oversight import due as case_due
    from liuhen.web.oversight import review as case_review

    _include(app, login.router)
    _include(app, password.router)
    _include(app, home.router)  # 首页: where signing in lands
    for lifecycle in (
        case_new,
        case_due,
        case_steps,
        case_documents,
        case_drafts,
        case_signing,
        case_service,
        approvals,
        case_archive,
        exports,
        case_override,
    ):
        _include(app, lifecycle.router)  # before cases: /cases/new is not a case number
    _include(app, case_review.router)  # 案卷评查表 and its yearly figures
    _include(app, case_numbering.router)  # 编号字号 and the register of numbers
    _include(app, cases.router)
    _include(app, dashboard.router)
    _include(app, inbox.router)
    _include(app, ledger.router)
    _include(app, calendar.router)
    _include(app, accounts.router)
    _include(app, authorisations.router)
    _include(app, files.router)
    _include(app, uploads.router)
    _include(app, api_av.router)
    _include(app, access_requests.router)
    _include(app, access_redactions.router)
    _include(app, share.router)  # the only routes that work without login
    _include(app, av_access.router)
    _include(app, av_unlinked.router)  # before av_record: "unlinked" is not a record id
    _include(app, av_linking.router)
    _include(app, av_record.router)
    _include(app, devices.router)


class _Headers:
    """Security headers on every response (unless the route set its own). Plain ASGI: no
    extra task and no re-streamed body per request."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.extra if k not in present]
                if self.production:
                    headers = [h for h in headers if h[0] != b"strict-transport-security"]
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _include(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes (and those of the routers it includes) to the app's own list.

    ``app.include_router`` keeps each router as one entry that is matched route by route and
    then again to dispatch: ~90 routes tried per request, twice, about 0.5 ms a request of
    CPU. Flat, a request is matched once. LiuHen's routers have no prefix, dependencies or
    limits of their own, so nothing else changes (``_include`` refuses one that has)."""
    for route in router.routes:
        inner = getattr(route, "original_router", None)
        if inner is None:
            app.router.routes.append(route)
            continue
        context = route.include_context  # type: ignore[attr-defined]
        if context.prefix or context.dependencies:
            raise ValueError(f"{inner!r}: a router with a prefix or dependencies is included")
        _include(app, inner)


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``liuhen serve --workers`` (settings from the
    ``LIUHEN_*`` environment the command set); each runs a job runner, and each scheduled
    slot is still made once (the database decides)."""
    settings = Settings.from_env()
    return create_app(settings, fixity_interval=settings.fixity_interval_minutes * 60 or None)


def _actor(request: Request) -> Actor | None:
    user = getattr(request.state, "user", None)
    return user.actor if user is not None else None
