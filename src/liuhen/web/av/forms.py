"""The AV record's forms: an interruption for each computed gap (reason; explained by voice
on restart, with the time in the video, or in writing afterwards) and the opening
statement's elements with where each is said (000§13). Shared form helpers live here too.

Every save is ``revise_av``: a NEW version of the record; the page then shows that version.
A refused form is shown again with the messages beside the fields; nothing is saved then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import InvalidInput, LiuhenError, NotFound
from liuhen.services.admin.users import User
from liuhen.services.av.timeline import clock, parse_clock
from liuhen.services.av.versions import revise_av
from liuhen.services.av.views import av_page
from liuhen.web.auth.permission import case_if_loaded, check_csrf, get_store, permission
from liuhen.web.forms import (
    Field,
    FormErrors,
    Posted,
    Section,
    known_names,
    local_input,
    posted_form,
    posted_values,
    step_page,
)

router = APIRouter(include_in_schema=False)
Uploader = Annotated[User, Depends(permission("av.upload"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
CLOCK_HINT = "录像中的位置，自第一段开始计（如 4:10 或 0:04:10）"


def read_form(request: Request, posted: FormData) -> Posted:
    check_csrf(request, str(posted.get("csrf", "")))
    return Posted(posted, get_store(request).settings.tz)


def offset_in(form: Posted, name: str, label: str, *, required: bool, limit: float) -> int | None:
    """A position in the recording, in whole seconds (the ledger's JSON has no floats)."""
    raw = form.text(name)
    if not raw:
        if required:
            form.problems.append(f"{name}: 请填写「{label}」")
        return None
    try:
        value = parse_clock(raw)
    except ValueError:
        form.problems.append(f"{name}: 「{label}」应为录像中的时间，如 4:10 或 0:04:10")
        return None
    if value > limit + 1:
        form.problems.append(f"{name}: 「{label}」超出录像长度（{clock(limit)}）")
        return None
    return round(value)


def current_page(request: Request, record_id: str, user: User) -> dict[str, Any]:
    """The record as its form shows it (the route logged the view), refused unless it is the
    newest version."""
    case = case_if_loaded(request)
    page = av_page(get_store(request), user.actor, record_id, case=case, log=False)
    if page["latest"] != record_id:
        raise InvalidInput(f"record: 该版本已被替代，请在最新版本（{page['latest']}）上填写")
    return page


def save_version(
    request: Request,
    user: User,
    record_id: str,
    changes: Callable[[], dict[str, Any]],
    reason: str,
    saved: str,
) -> RedirectResponse:
    new = revise_av(
        get_store(request),
        user.actor,
        record_id,
        changes=changes(),
        reason=reason,
        case=case_if_loaded(request),
    )
    return RedirectResponse(f"/av/{new}?saved={saved}#timeline", status_code=303)


def form_page(
    request: Request,
    record_id: str,
    heading: str,
    path: str,
    sections: list[Section],
    values: dict[str, Any],
    intro: str,
    errors: FormErrors | None = None,
) -> Response:
    return step_page(
        request,
        heading=heading,
        action=f"/av/{record_id}/{path}",
        sections=sections,
        values=values,
        errors=errors,
        intro=intro,
        submit="保存为新版本",
    )


# -- 中止记录 ---------------------------------------------------------------------------------


def _gap(page: dict[str, Any], index: int) -> Any:
    gaps = page["timeline"].gaps
    if not 0 <= index < len(gaps):
        raise NotFound(f"gap: 该音像记录没有第 {index + 1} 处间断")
    return gaps[index]


def _interruption_sections() -> list[Section]:
    return [
        (
            "中止记录",
            [
                Field(
                    "reason",
                    "中止原因",
                    "multiline",
                    True,
                    hint="如设备故障、天气恶劣、现场人员阻挠、电量或储存空间不足",
                ),
                Field(
                    "explained_by",
                    "说明方式",
                    "radio",
                    True,
                    (("voice", "重新开始记录时语音说明"), ("written", "事后书面说明")),
                ),
                Field("video_at", "语音说明在录像中的时间", hint=CLOCK_HINT + "；语音说明时必填"),
                Field("reported_to_head", "已立即向负责人报告", "checkbox"),
            ],
        )
    ]


def _gap_intro(gap: Any, tz: Any) -> str:
    minutes = gap.seconds / 60
    return (
        f"第 {gap.index + 1} 处间断：{local_input(gap.start, tz).replace('T', ' ')} 至 "
        f"{local_input(gap.end, tz).replace('T', ' ')}（约 {minutes:.1f} 分钟；录像位置 "
        f"{clock(gap.offset)} 中止，{clock(gap.offset + gap.seconds)} 重新开始）。"
        "说明中止原因，以及重新开始记录时是否语音说明。"
    )


@router.get("/av/{record_id}/gaps/{index}")
def interruption_form(request: Request, record_id: str, index: int, user: Uploader) -> Response:
    page = current_page(request, record_id, user)
    gap = _gap(page, index)
    known = dict(gap.interruption or {})
    values = {
        "reason": known.get("reason", ""),
        "explained_by": known.get("explained_by") or "",
        "video_at": clock(known.get("video_at")),
        "reported_to_head": known.get("reported_to_head", False),
    }
    tz = get_store(request).settings.tz
    return form_page(
        request, record_id, "中止记录", f"gaps/{index}", _interruption_sections(), values,
        _gap_intro(gap, tz),
    )  # fmt: skip


@router.post("/av/{record_id}/gaps/{index}")
def save_interruption(
    request: Request, record_id: str, index: int, user: Uploader, posted: Posted_
) -> Response:
    page = current_page(request, record_id, user)
    gap = _gap(page, index)
    form = read_form(request, posted)
    sections = _interruption_sections()
    how = form.text("explained_by")
    if how and how not in vocab.EXPLANATION_KINDS:
        form.problems.append("explained_by: 请选择说明方式")
    limit = page["timeline"].seconds
    video_at = offset_in(
        form, "video_at", "语音说明在录像中的时间", required=how == "voice", limit=limit
    )
    if video_at is not None and video_at + 1 < gap.offset + gap.seconds:
        form.problems.append(
            f"video_at: 语音说明应在重新开始记录之后（录像位置 {clock(gap.offset + gap.seconds)} 起）"
        )
    elif video_at is not None and page["timeline"].locate(video_at) is None:
        form.problems.append("video_at: 该位置处于间断中，没有录像")

    def changes() -> dict[str, Any]:
        tz = get_store(request).settings.tz
        kept = [i for i in page["details"].get("interruptions") or [] if i is not gap.interruption]
        item: dict[str, Any] = {
            "at": gap.start.astimezone(tz).isoformat(),
            "resumed_at": gap.end.astimezone(tz).isoformat(),
            "reason": form.text("reason"),
            "explained_by": how,
            "reported_to_head": form.flag("reported_to_head"),
        }
        if video_at is not None:
            item["video_at"] = video_at
        return {"interruptions": sorted([*kept, item], key=lambda i: i["at"])}

    try:
        form.check("中止记录有误", sections)
        return save_version(request, user, record_id, changes, "登记中止记录", "interruption")
    except LiuhenError as exc:
        tz = get_store(request).settings.tz
        return form_page(
            request, record_id, "中止记录", f"gaps/{index}", sections,
            posted_values(form, sections), _gap_intro(gap, tz),
            FormErrors.of(exc, known_names(sections)),
        )  # fmt: skip


# -- 开头语音说明 -----------------------------------------------------------------------------


def _opening_sections() -> list[Section]:
    marks = [
        Field(f"mark_{code}", f"“{label}”在录像中的时间", hint=CLOCK_HINT)
        for code, label in vocab.OPENING_ELEMENTS.items()
    ]
    return [
        (
            "语音说明的要素",
            [
                Field(
                    "elements",
                    "开始记录时已语音说明",
                    "checkboxes",
                    True,
                    tuple(vocab.OPENING_ELEMENTS.items()),
                )
            ],
        ),
        ("各要素在录像中的时间", marks),
    ]


OPENING_INTRO = (
    "音像记录开始后，应先语音说明时间、地点、执法人员、执法事由、执法对象以及需要记录的"
    "执法环节，并告知当事人及在场人员正在进行音像记录（000§13）。勾选已说明的要素，并填写其在录像中的时间。"
)


@router.get("/av/{record_id}/opening")
def opening_form(request: Request, record_id: str, user: Uploader) -> Response:
    page = current_page(request, record_id, user)
    known = page["details"].get("opening_statement") or {}
    values: dict[str, Any] = {"elements": list(known.get("elements") or [])}
    for code, offset in (known.get("marks") or {}).items():
        values[f"mark_{code}"] = clock(offset)
    return form_page(
        request, record_id, "开头语音说明", "opening", _opening_sections(), values, OPENING_INTRO
    )


@router.post("/av/{record_id}/opening")
def save_opening(request: Request, record_id: str, user: Uploader, posted: Posted_) -> Response:
    page = current_page(request, record_id, user)
    form = read_form(request, posted)
    sections = _opening_sections()
    elements = [e for e in form.texts("elements") if e in vocab.OPENING_ELEMENTS]
    limit = page["timeline"].seconds
    marks: dict[str, int] = {}
    for code, label in vocab.OPENING_ELEMENTS.items():
        value = offset_in(
            form, f"mark_{code}", f"“{label}”在录像中的时间", required=False, limit=limit
        )
        if value is not None:
            if code not in elements:
                form.problems.append(f"mark_{code}: 填写了时间，但未勾选“{label}”")
            marks[code] = value

    def changes() -> dict[str, Any]:
        start: datetime = page["timeline"].start
        first = min(marks.values(), default=0)
        at = start.timestamp() + first
        tz = get_store(request).settings.tz
        return {
            "opening_statement": {
                "at": datetime.fromtimestamp(at, tz).isoformat(),
                "elements": elements,
                "marks": marks,
            }
        }

    try:
        form.check("开头语音说明有误", sections)
        return save_version(request, user, record_id, changes, "登记开头语音说明", "opening")
    except LiuhenError as exc:
        return form_page(
            request, record_id, "开头语音说明", "opening", sections,
            posted_values(form, sections), OPENING_INTRO, FormErrors.of(exc, known_names(sections)),
        )  # fmt: skip
