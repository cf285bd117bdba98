"""The AV record's evidence description (制作方法、制作时间、制作人、证明对象, 001§8) and its
retention with the reason for long-term keeping (001§14): each save a new version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.web.auth.permission import get_store, permission
from liuhen.web.av.forms import current_page, form_page, read_form, save_version
from liuhen.web.forms import (
    Field,
    FormErrors,
    Section,
    known_names,
    local_input,
    posted_form,
    posted_values,
)

router = APIRouter(include_in_schema=False)
Uploader = Annotated[User, Depends(permission("av.upload"))]
Posted_ = Annotated[FormData, Depends(posted_form)]


# -- 证据说明（001§8） -------------------------------------------------------------------------


def _evidence_sections() -> list[Section]:
    return [
        (
            "作为证据使用的说明",
            [
                Field(
                    "method",
                    "制作方法",
                    "text",
                    True,
                    hint="如：执法记录仪现场拍摄，原始文件导出刻录光盘",
                ),
                Field("made_at", "制作时间", "datetime", True),
                Field("maker", "制作人", "text", True),
                Field("object", "证明对象", "multiline", True),
                Field("carrier", "载体", "select", False, tuple(vocab.AV_CARRIERS.items())),
            ],
        )
    ]


EVIDENCE_INTRO = "音像记录作为证据使用的，应注明制作方法、制作时间、制作人和证明对象（001§8）。"


@router.get("/av/{record_id}/evidence")
def evidence_form(request: Request, record_id: str, user: Uploader) -> Response:
    page = current_page(request, record_id, user)
    known = page["details"].get("evidence") or {}
    tz = get_store(request).settings.tz
    values = {**known, "made_at": local_input(known.get("made_at"), tz)}
    return form_page(
        request, record_id, "证据说明", "evidence", _evidence_sections(), values, EVIDENCE_INTRO
    )


@router.post("/av/{record_id}/evidence")
def save_evidence(request: Request, record_id: str, user: Uploader, posted: Posted_) -> Response:
    current_page(request, record_id, user)
    form = read_form(request, posted)
    sections = _evidence_sections()
    made = form.moment("made_at", "制作时间")
    carrier = form.text("carrier")
    if carrier and carrier not in vocab.AV_CARRIERS:
        form.problems.append("carrier: 请选择载体")

    def changes() -> dict[str, Any]:
        assert made is not None
        return {
            "evidence": {
                "method": form.text("method"),
                "made_at": made.isoformat(),
                "maker": form.text("maker"),
                "object": form.text("object"),
                "carrier": carrier,
            }
        }

    try:
        form.check("证据说明有误", sections)
        return save_version(request, user, record_id, changes, "登记证据说明", "evidence")
    except LiuhenError as exc:
        return form_page(
            request, record_id, "证据说明", "evidence", sections, posted_values(form, sections),
            EVIDENCE_INTRO, FormErrors.of(exc, known_names(sections)),
        )  # fmt: skip


# -- 保存期限与长期保存理由（001§14） -------------------------------------------------------------


def _retention_sections() -> list[Section]:
    return [
        (
            "保存期限",
            [
                Field("term", "保存期限", "select", True, tuple(vocab.RETENTION_TERMS.items())),
                Field(
                    "reason",
                    "长期保存的理由",
                    "multiline",
                    hint="当事人对现场执法有异议，或阻挠、辱骂、殴打执法人员，或处置群体性、突发事件等（001§14）；长期、永久保存时必填",
                ),
            ],
        )
    ]


RETENTION_INTRO = "办案形成的音像记录保存期限与案卷相同，其他音像记录为3年（004§12）；需长期保存的须说明理由（001§14）。"


@router.get("/av/{record_id}/retention")
def retention_form(request: Request, record_id: str, user: Uploader) -> Response:
    page = current_page(request, record_id, user)
    values = dict(page["details"].get("retention") or {})
    return form_page(
        request, record_id, "保存期限", "retention", _retention_sections(), values, RETENTION_INTRO
    )


@router.post("/av/{record_id}/retention")
def save_retention(request: Request, record_id: str, user: Uploader, posted: Posted_) -> Response:
    current_page(request, record_id, user)
    form = read_form(request, posted)
    sections = _retention_sections()
    term = form.text("term")
    if term and term not in vocab.RETENTION_TERMS:
        form.problems.append("term: 请选择保存期限")
    if term in ("long_term", "permanent") and not form.text("reason"):
        form.problems.append("reason: 长期或永久保存须说明理由")

    def changes() -> dict[str, Any]:
        return {"retention": {"term": term, "reason": form.text("reason")}}

    try:
        form.check("保存期限有误", sections)
        return save_version(request, user, record_id, changes, "登记保存期限", "retention")
    except LiuhenError as exc:
        return form_page(
            request, record_id, "保存期限", "retention", sections, posted_values(form, sections),
            RETENTION_INTRO, FormErrors.of(exc, known_names(sections)),
        )  # fmt: skip
