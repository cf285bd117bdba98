"""Rendering a page: the template set and the context every page gets (who is signed in,
the CSRF token, how many approvals wait for them: the navigation shows it, from two
set-based queries, unless the page gives the count). Route modules import ``render`` from
here, never from the app factory."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from liuhen.config import Settings
from liuhen.services.approvals.queries import waiting_count


def localtime(value: datetime | str | None, settings: Settings) -> str:
    """'2026-11-20 09:30' in the agency's time zone, from a datetime or an ISO string."""
    if value is None or value == "":
        return ""
    return _local(value, settings.timezone)


@lru_cache(maxsize=16384)  # a list shows the same few thousand moments again and again
def _local(value: datetime | str, zone: str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def render(
    request: Request, template: str, context: dict[str, object], status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    user = getattr(request.state, "user", None)
    waiting = context.get("waiting")  # a page that has the count already gives it
    if waiting is None and user is not None:
        waiting = waiting_count(request.app.state.store, user.actor)
    ctx = {
        "user": user,
        "csrf": getattr(request.state, "csrf", ""),
        **context,
        "waiting": waiting,
    }
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)
