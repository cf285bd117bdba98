"""The AV record page: its facts, player and timeline, gaps with their interruptions, the
opening statement, evidence and retention notes, the original files and who played them.
Its forms are in ``av_forms`` (gaps, opening statement) and ``av_notes`` (evidence,
retention); their routes hang on this module's router."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liuhen.domain import vocab
from liuhen.services.admin.users import User
from liuhen.services.av.timeline import clock
from liuhen.services.av.views import av_access_log, av_page
from liuhen.web.auth.permission import case_if_loaded, get_store, permission
from liuhen.web.av import forms as av_forms
from liuhen.web.av import notes as av_notes

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(permission("case.read"))]
SAVED = {
    "interruption": "中止记录已保存为新版本。",
    "opening": "开头语音说明已保存为新版本。",
    "evidence": "证据说明已保存为新版本。",
    "retention": "保存期限已保存为新版本。",
}


@router.get("/av/{record_id}")
def av_record_page(request: Request, record_id: str, user: Reader) -> Response:
    from liuhen.web.pages import render

    page = av_page(get_store(request), user.actor, record_id, case=case_if_loaded(request))
    return render(
        request,
        "av_record.html",
        {
            "page": page,
            "line": page["timeline"],
            "saved": SAVED.get(request.query_params.get("saved", ""), ""),
            "clock": clock,
            "opening": vocab.OPENING_ELEMENTS,
            "explanations": vocab.EXPLANATION_KINDS,
            "terms": vocab.RETENTION_TERMS,
            "can_edit": "av.upload" in _actions(user),
            "access": av_access_log(get_store(request), record_id),
            "modes": {"play": "播放", "download": "下载", "read": "查看"},
        },
    )


def _actions(user: User) -> frozenset[str]:
    from liuhen.services.permissions import actions_for

    return actions_for(user.roles)


router.include_router(av_forms.router)
router.include_router(av_notes.router)
