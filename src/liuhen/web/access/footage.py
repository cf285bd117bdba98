"""审查录像遮盖: the approver's page for one AV record of a copy request. It plays each video
file with the covers drawn over the picture and a timeline of covers and mutes; each mark
can be kept or removed, its times, ground and reason changed; a cover (a region over a time
range) and a mute (a time range of the sound) can be added. Finding the faces and making
the redacted video read the whole file, so they run in the background
(cluster jobs, ``jobs/runner.py``: any node runs them) and the page shows their progress. The POST saves the whole set as
a new version (``services/access/footage.py``) and starts making the redacted video."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import InvalidInput, LiuhenError
from liuhen.jobs.model import JobView, actor_args
from liuhen.jobs.runner import JobRunner
from liuhen.services.access.footage import confirm_footage
from liuhen.services.access.footage_review import FootageReview, footage_review
from liuhen.services.admin.users import User
from liuhen.services.av.timeline import clock
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.forms import FormErrors, Posted, case_facts, posted_form

router = APIRouter(include_in_schema=False)
Decider = Annotated[User, Depends(permission("approval.decide"))]
MARK_FIELDS = ("keep", "start", "end", "kind", "ground", "reason")
ADD_FIELDS = ("file", "start", "end", "x", "y", "w", "h", "kind", "ground", "reason")
MUTE_FIELDS = ("file", "start", "end", "ground", "reason")
_SERVICE_KEY = re.compile(r"^marks\[(\d+)\]\.(\w+)$")
SAVED = {
    "confirmed": "遮盖内容已确认；遮盖后的视频在后台制作（状态见下），制作完成后即可批准。",
    "detecting": "人脸检测已在后台开始，完成后检测结果显示在下方。",
}


def _path(case_ref: str, request_id: str, record_id: str) -> str:
    return f"/cases/{case_ref}/access-requests/{request_id}/footage/{record_id}"


def job_keys(request_id: str, record_id: str) -> tuple[str, str]:
    # faces are found once per record, whichever request asks (services/access/face_scans.py)
    return f"footage-detect:{record_id}", f"footage-render:{request_id}:{record_id}"


def _jobs(request: Request, request_id: str, record_id: str) -> list[JobView]:
    registry: JobRunner = request.app.state.jobs
    keys = job_keys(request_id, record_id)
    found = registry.latest(keys)
    return [found[k] for k in keys if k in found]


def _submit(request: Request, kind: str, key: str, user: User, review: FootageReview) -> None:
    args = {"request_id": review.request.id, "record_id": review.record_id}
    registry: JobRunner = request.app.state.jobs
    case_id = loaded_case(request)["id"]
    registry.submit(kind, key, args | {"actor": actor_args(user.actor)}, case_id=case_id,
                    requested_by=user.id)  # fmt: skip


def _page(
    request: Request,
    review: FootageReview,
    *,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    first = str(review.files[0].position)
    defaults: dict[str, Any] = {"add.kind": "face", "add.ground": "privacy", "add.file": first,
                                "mute.ground": "privacy", "mute.file": first}  # fmt: skip
    for m in review.marks:
        n = m.number
        defaults.update({f"m{n}.keep": "1", f"m{n}.start": f"{m.mark.start:g}",
                         f"m{n}.end": f"{m.mark.end:g}", f"m{n}.kind": m.mark.kind,
                         f"m{n}.ground": m.mark.ground, f"m{n}.reason": m.mark.reason})  # fmt: skip
    jobs = _jobs(request, review.request.id, review.record_id)
    return render(
        request,
        "footage_review.html",
        {
            "active": "cases",
            "facts": case_facts(store, loaded_case(request)),
            "r": review,
            "item": review.request,
            "values": values or defaults,
            "errors": errors,
            "jobs": jobs,
            "running": any(j.active for j in jobs),
            "clock": clock,
            "saved": SAVED.get(request.query_params.get("saved", ""), ""),
            "file_options": [
                (str(f.position), f"第 {f.position} 段 {f.name}") for f in review.files
            ],
        },
        status_code=errors.status if errors else 200,
    )


@router.get("/cases/{case_ref}/access-requests/{request_id}/footage/{record_id}")
def review_page(
    request: Request, case_ref: str, request_id: str, record_id: str, user: Decider
) -> Response:
    review = footage_review(
        get_store(request), user.actor, request_id, record_id, case=loaded_case(request)
    )
    return _page(request, review)


@router.post("/cases/{case_ref}/access-requests/{request_id}/footage/{record_id}/detect")
def start_detection(
    request: Request,
    case_ref: str,
    request_id: str,
    record_id: str,
    user: Decider,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    """Find the faces in the background (the permission check has loaded the case now)."""
    check_csrf(request, str(posted.get("csrf", "")))
    store, case = get_store(request), loaded_case(request)
    review = footage_review(store, user.actor, request_id, record_id, case=case, log=False)
    _submit(request, "footage_detect", job_keys(review.request.id, record_id)[0], user, review)
    return RedirectResponse(f"{_path(case['id'], request_id, record_id)}?saved=detecting", 303)


@router.post("/cases/{case_ref}/access-requests/{request_id}/footage/{record_id}")
def review_form(
    request: Request,
    case_ref: str,
    request_id: str,
    record_id: str,
    user: Decider,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    case = loaded_case(request)
    review = footage_review(store, user.actor, request_id, record_id, case=case, log=False)
    form = Posted(posted, store.settings.tz)
    values: dict[str, Any] = {k: form.text(k) for k in posted if k != "csrf"}
    names: list[str] = []
    try:
        marks, names = posted_marks(review, form)
        loaded = (review.request, {"title": review.title}, _files(review))
        confirm_footage(store, user.actor, request_id, record_id, marks, case=case, loaded=loaded)
    except LiuhenError as exc:
        known = [f"m{m.number}.{f}" for m in review.marks for f in MARK_FIELDS]
        known += [f"add.{f}" for f in ADD_FIELDS] + [f"mute.{f}" for f in MUTE_FIELDS]
        errors = FormErrors.of(exc, known, lambda key: _form_key(key, names))
        return _page(request, review, errors=errors, values=values)
    _submit(request, "footage_render", job_keys(review.request.id, record_id)[1], user, review)
    return RedirectResponse(f"{_path(case['id'], request_id, record_id)}?saved=confirmed", 303)


def _files(review: FootageReview) -> list[dict[str, Any]]:
    """The files as ``confirm_footage`` checks marks against them (positions, lengths)."""
    return [
        {"position": f.position, "details": {"probe": {"duration_ms": round(f.seconds * 1000)}}}
        for f in review.files
    ]


def _ms(form: Posted, key: str, problems: list[str]) -> int:
    raw = form.text(key)
    try:
        return round(float(raw) * 1000)
    except ValueError:
        problems.append(f"{key}: 请填写秒数（如 12.5），而不是“{raw}”")
        return -1


def _parts(form: Posted, key: str, problems: list[str]) -> int:
    raw = form.text(key)
    try:
        return round(float(raw) * 100)
    except ValueError:
        problems.append(f"{key}: 请填写画面位置的百分数（0–100），而不是“{raw}”")
        return -1


def posted_marks(review: FootageReview, form: Posted) -> tuple[list[dict[str, Any]], list[str]]:
    """The marks the form keeps and adds, and for each the form's name of it (``m3``,
    ``add``, ``mute``): a service message about ``marks[i]`` is shown beside that input."""
    marks: list[dict[str, Any]] = []
    names: list[str] = []
    problems: list[str] = []
    for m in review.marks:
        p = f"m{m.number}"
        if not form.flag(f"{p}.keep"):
            continue
        changed = {"start": _ms(form, f"{p}.start", problems), "end": _ms(form, f"{p}.end", problems),
                   "ground": form.text(f"{p}.ground"), "reason": form.text(f"{p}.reason")}  # fmt: skip
        if not m.is_mute:
            changed["kind"] = form.text(f"{p}.kind")
        marks.append({**m.raw, **changed})
        names.append(p)
    if any(form.text(f"add.{f}") for f in ("start", "end", "x", "y", "w", "h", "reason")):
        box = [_parts(form, f"add.{f}", problems) for f in ("x", "y", "w", "h")]
        marks.append({"type": "cover", "file": form.text("add.file"), "box": box,
                      "start": _ms(form, "add.start", problems), "end": _ms(form, "add.end", problems),
                      **{f: form.text(f"add.{f}") for f in ("kind", "ground", "reason")}})  # fmt: skip
        names.append("add")
    if any(form.text(f"mute.{f}") for f in ("start", "end", "reason")):
        marks.append({"type": "mute", "file": form.text("mute.file"),
                      "start": _ms(form, "mute.start", problems), "end": _ms(form, "mute.end", problems),
                      **{f: form.text(f"mute.{f}") for f in ("ground", "reason")}})  # fmt: skip
        names.append("mute")
    if problems:
        raise InvalidInput("遮盖内容有误", details=problems)
    return marks, names


def _form_key(key: str, names: list[str]) -> str:
    """``marks[2].reason`` (the service's count from 1) -> ``m5.reason``, ``add.reason`` …"""
    found = _SERVICE_KEY.match(key)
    if not found or not 0 < int(found.group(1)) <= len(names):
        return key
    field = {"box": "x"}.get(found.group(2), found.group(2))
    return f"{names[int(found.group(1)) - 1]}.{field}"
