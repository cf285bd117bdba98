"""节假日安排: the years the working-day calendar knows, and for an administrator a form to
load the official arrangement of a year the package does not know yet (services/holidays)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from liuhen.errors import InvalidInput, LiuhenError
from liuhen.services.admin.holidays import known_years, load_schedule
from liuhen.services.admin.users import User
from liuhen.services.permissions import actions_for
from liuhen.store.scratch import scratch_dir
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.forms import posted_form

router = APIRouter(include_in_schema=False)
SUFFIXES = (".yaml", ".yml", ".json")
MAX_BYTES = 256 * 1024


def _page(
    request: Request, user: User, *, error: LiuhenError | None = None, source: str = ""
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    years = known_years(store)
    return render(
        request,
        "calendar.html",
        {
            "active": "calendar",
            "years": years,
            "package": [y.year for y in years if y.origin == "package"],
            "loaded": [y for y in years if y.origin == "loaded"],
            "next_unknown": (years[-1].year + 1) if years else None,
            "can_load": "calendar.manage" in actions_for(user.roles),
            "error": error,
            "source": source,
            "saved": request.query_params.get("loaded", ""),
        },
        status_code=error.http_status if error else 200,
    )


@router.get("/calendar")
def calendar_page(
    request: Request, user: Annotated[User, Depends(permission("case.read"))]
) -> Response:
    return _page(request, user)


@router.post("/calendar")
def load_calendar(
    request: Request,
    user: Annotated[User, Depends(permission("calendar.manage"))],
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    source = str(posted.get("source", "")).strip()
    upload = posted.get("file")
    try:
        years = _load(store, user, upload, source)
    except LiuhenError as exc:
        return _page(request, user, error=exc, source=source)
    request.app.state.jobs.wake()  # the summaries' re-judging: this node's runner takes it
    return RedirectResponse(f"/calendar?loaded={'、'.join(map(str, years))}", status_code=303)


def _load(store: Any, user: User, upload: Any, source: str) -> list[int]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("file: 请选择节假日安排文件（YAML 或 JSON）")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(f"file: {upload.filename} 不是 YAML 或 JSON 文件（.yaml、.yml、.json）")
    data = upload.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"file: {upload.filename} 超过 {MAX_BYTES // 1024} KB，不像节假日安排文件"
        )
    with scratch_dir(store.settings, "calendar") as tmp:
        path = Path(tmp) / f"{Path(upload.filename).stem[:60] or 'calendar'}{suffix}"
        path.write_bytes(data)
        return load_schedule(store, user.actor, path, source=source, name=upload.filename)
