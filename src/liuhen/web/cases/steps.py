"""Forms on the case page (an act, an approval request, an execution event, the closing): each
reads the form, calls one service, re-renders with messages beside the fields if refused."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.domain.acts import act_kinds
from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.approvals.workflow import request_approval
from liuhen.services.cases.drafts import consume_draft
from liuhen.services.cases.records import act_problems_of, record_act
from liuhen.services.cases.serving import close_case, record_execution
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.cases.profile_hints import approval_fields
from liuhen.web.forms import (
    CaseFacts,
    Field,
    FormErrors,
    Posted,
    Section,
    amount,
    case_facts,
    known_names,
    local_input,
    officer_options,
    posted_form,
    posted_values,
    step_page,
)

router = APIRouter(include_in_schema=False)
Officer = Annotated[User, Depends(permission("record.create"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
YES_NO = (("yes", "已出示"), ("no", "未出示"))


def _facts(request: Request) -> CaseFacts:
    """The form's choices for the case the permission check loaded."""
    return case_facts(get_store(request), loaded_case(request))


def _read(request: Request, posted: FormData) -> Posted:
    check_csrf(request, str(posted.get("csrf", "")))
    return Posted(posted, get_store(request).settings.tz)


def _now(request: Request) -> str:
    store = get_store(request)
    return local_input(store.clock(), store.settings.tz)


def _done(case_id: str, saved: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}?saved={saved}{anchor}", status_code=303)


# -- 执法环节 --------------------------------------------------------------------------------


def _act_sections(facts: CaseFacts | None, procedure: str) -> list[Section]:
    """The act form; ``facts`` None when only reading a post (no choices to draw)."""
    return [
        (
            "执法环节",
            [
                Field("kind", "环节类型", "select", True, tuple(act_kinds(procedure).items())),
                Field("place", "地点", "text"),
                Field("started_at", "开始时间", "datetime", True),
                Field("ended_at", "结束时间", "datetime", hint="尚未结束的可暂不填写"),
            ],
        ),
        (
            "在场执法人员",
            [
                Field(
                    "officer_ids",
                    "执法人员（姓名及执法证号）",
                    "checkboxes",
                    True,
                    officer_options(facts) if facts else (),
                    "执法人员不得少于两人（行政处罚法§42）",
                ),
                Field("certificates_shown", "是否出示执法证件", "radio", True, YES_NO),
            ],
        ),
        (
            "情形与说明",
            [
                Field(
                    "flags", "具有下列情形", "checkboxes", options=tuple(vocab.ACT_FLAGS.items())
                ),
                Field("note", "备注", "multiline"),
            ],
        ),
    ]


def _act_page(
    request: Request, values: dict[str, Any], form: Posted | None = None, exc: Any = None
) -> Response:
    """The act form with the case's choices (after a refusal: what was sent, the messages)."""
    facts = _facts(request)
    sections = _act_sections(facts, facts.procedure)
    return step_page(
        request,
        facts=facts,
        heading="记录执法环节",
        action=f"/cases/{facts.id}/acts/new",
        sections=sections,
        values=posted_values(form, sections) if form else values,
        errors=FormErrors.of(exc, known_names(sections)) if exc else None,
        submit="保存执法环节",
        draft="act",
    )


@router.get("/cases/{case_ref}/acts/new")
def act_form(request: Request, case_ref: str, user: Officer) -> Response:
    own = [user.officer_id] if user.officer_id else []
    place = loaded_case(request)["party"].get("address")
    return _act_page(request, {"started_at": _now(request), "officer_ids": own, "place": place})


@router.post("/cases/{case_ref}/acts/new")
def save_act(request: Request, case_ref: str, user: Officer, posted: Posted_) -> Response:
    """The service checks kind, times and officers; the choices are read only to redraw."""
    case = loaded_case(request)
    form = _read(request, posted)
    sections = _act_sections(None, case["procedure"])
    kind = form.required("kind", "环节类型")
    started = form.moment("started_at", "开始时间")
    ended = form.moment("ended_at", "结束时间", required=False)
    officer_ids = form.texts("officer_ids")
    if not officer_ids:
        form.problems.append("officer_ids: 请选择在场的执法人员")
    shown = {"yes": True, "no": False}.get(form.text("certificates_shown"))
    if shown is None:
        form.problems.append("certificates_shown: 请记录是否出示了执法证件")
    details: dict[str, Any] = {"certificates_shown": shown} if shown is not None else {}
    details |= {k: v for k, v in (("flags", form.texts("flags")), ("note", form.text("note"))) if v}
    store = get_store(request)
    try:
        if form.problems:  # the service's own checks too, so every problem shows at once
            form.also(act_problems_of(store, case, kind, started, ended, officer_ids))
        form.check("执法环节信息有误", sections)
        assert started is not None
        act_id = record_act(
            store,
            user.actor,
            case_id=case["id"],
            kind=kind,
            started_at=started,
            ended_at=ended,
            place=form.text("place"),
            officer_ids=officer_ids,
            details=details,
            case=case,
        )
    except LiuhenError as exc:
        return _act_page(request, {}, form, exc)
    consume_draft(store, user.actor, case["id"], form.text("draft_key"))
    return _done(case["id"], "act", f"#act-{act_id}")


# -- 提请审批 --------------------------------------------------------------------------------


def _approval_sections(facts: CaseFacts, kind: str) -> list[Section]:
    wanted = approval_fields(facts.profile, facts.procedure, kind)
    fields = [Field(f"af.{key}", label, "multiline", True) for key, label in wanted.items()]
    return [
        (
            "承办人意见",
            [
                Field("opinion", "承办人意见和理由", "multiline", True),
                Field("emergency", "情况紧急，先行实施，事后补报审批", "checkbox"),
            ],
        ),
        *([("本机关制度要求载明的事项", fields)] if fields else []),
    ]


def _approval_page(
    request: Request, facts: CaseFacts, kind: str, values: dict[str, Any], errors: Any = None
) -> Response:
    return step_page(
        request,
        facts=facts,
        heading="提请审批",
        action=f"/cases/{facts.id}/approvals/new",
        sections=_approval_sections(facts, kind),
        values=values,
        errors=errors,
        chooser={
            "name": "kind",
            "label": "审批类型",
            "action": f"/cases/{facts.id}/approvals/new",
            "options": [(k, v) for k, v in vocab.APPROVAL_KINDS.items() if k != "access_request"],
            "value": kind,
        },
        submit="提请审批",
        intro="提请后，审批将出现在有权审批人员的“待我审批”中；审核人、批准人的意见和时间逐步记录。",
    )


@router.get("/cases/{case_ref}/approvals/new")
def approval_form(request: Request, case_ref: str, user: Officer, kind: str = "") -> Response:
    facts = _facts(request)
    kind = kind if kind in vocab.APPROVAL_KINDS else "initiation"
    return _approval_page(request, facts, kind, {})


@router.post("/cases/{case_ref}/approvals/new")
def save_approval(request: Request, case_ref: str, user: Officer, posted: Posted_) -> Response:
    facts = _facts(request)
    form = _read(request, posted)
    kind = form.text("kind")
    sections = _approval_sections(facts, kind)
    fields = {
        key: form.text(f"af.{key}")
        for key in approval_fields(facts.profile, facts.procedure, kind)
        if form.text(f"af.{key}")
    }
    try:
        form.check("审批申请有误", sections)
        request_approval(
            get_store(request),
            user.actor,
            case_id=facts.id,
            kind=kind,
            opinion=form.text("opinion"),
            fields=fields,
            emergency=form.flag("emergency"),
            officer_id=user.officer_id,
            case=loaded_case(request),
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, known_names(sections))
        return _approval_page(request, facts, kind, posted_values(form, sections), errors)
    return _done(facts.id, "approval")


# -- 执行情况 --------------------------------------------------------------------------------

EXECUTION_FIELDS: dict[str, list[Field]] = {
    "fine_paid": [
        Field("fx.amount", "缴纳金额（元）", "money"),
        Field("fx.bank_receipt", "已附银行代收罚款收据", "checkbox"),
    ],
    "court_application": [Field("fx.court", "受理法院", "text")],
    "court_result": [Field("fx.result", "强制执行结果", "multiline")],
}


def _execution_sections(facts: CaseFacts, kind: str) -> list[Section]:
    documents = tuple((d["id"], d["label"]) for d in facts.documents)
    return [
        (
            "执行情况",
            [
                Field("at", "时间", "datetime", True),
                *EXECUTION_FIELDS.get(kind, []),
                Field("document_ids", "相关文书", "checkboxes", options=documents),
                Field("note", "情况说明", "multiline"),
            ],
        )
    ]


def _execution_page(
    request: Request, facts: CaseFacts, kind: str, values: dict[str, Any], errors: Any = None
) -> Response:
    return step_page(
        request,
        facts=facts,
        heading="记录执行情况",
        action=f"/cases/{facts.id}/executions/new",
        sections=_execution_sections(facts, kind),
        values=values,
        errors=errors,
        chooser={
            "name": "kind",
            "label": "执行事项",
            "action": f"/cases/{facts.id}/executions/new",
            "options": list(vocab.EXECUTION_KINDS.items()),
            "value": kind,
        },
        submit="保存执行情况",
    )


@router.get("/cases/{case_ref}/executions/new")
def execution_form(request: Request, case_ref: str, user: Officer, kind: str = "") -> Response:
    facts = _facts(request)
    kind = kind if kind in vocab.EXECUTION_KINDS else "performance"
    return _execution_page(request, facts, kind, {"at": _now(request)})


@router.post("/cases/{case_ref}/executions/new")
def save_execution(request: Request, case_ref: str, user: Officer, posted: Posted_) -> Response:
    facts = _facts(request)
    form = _read(request, posted)
    kind = form.text("kind")
    sections = _execution_sections(facts, kind)
    at = form.moment("at", "时间")
    fields: dict[str, Any] = {}
    for f in EXECUTION_FIELDS.get(kind, []):
        key = f.name.removeprefix("fx.")
        if f.type == "checkbox":
            fields[key] = form.flag(f.name)
        elif f.type == "money" and form.text(f.name):
            fields[key] = amount(form.text(f.name))
            if not re.fullmatch(r"\d+(\.\d{1,2})?", str(fields[key]).replace(",", "")):
                form.problems.append(f"{f.name}: 「{f.label}」应为金额数字，如 5000 或 5000.50")
        elif form.text(f.name):
            fields[key] = form.text(f.name)
    try:
        form.check("执行情况有误", sections)
        assert at is not None
        execution_id = record_execution(
            get_store(request),
            user.actor,
            case_id=facts.id,
            kind=kind,
            at=at,
            fields=fields,
            document_ids=form.texts("document_ids"),
            note=form.text("note"),
            case=loaded_case(request),
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, known_names(sections))
        return _execution_page(request, facts, kind, posted_values(form, sections), errors)
    return _done(facts.id, "execution", f"#execution-{execution_id}")


# -- 结案 ----------------------------------------------------------------------------------


def close_sections() -> list[Section]:
    return [
        (
            "结案",
            [
                Field("at", "结案时间", "datetime", True),
                Field("outcome", "处理结果", "select", True, tuple(vocab.OUTCOMES.items())),
            ],
        )
    ]


def _close_page(
    request: Request, facts: CaseFacts, values: dict[str, Any], errors: Any = None
) -> Response:
    return step_page(
        request,
        facts=facts,
        heading="结案",
        action=f"/cases/{facts.id}/close",
        sections=close_sections(),
        values=values,
        errors=errors,
        submit="确认结案",
        intro="结案时间是形成案卷等期限的起算点；结案后仍可补充记录，但每一项都会留痕。",
    )


@router.get("/cases/{case_ref}/close")
def close_form(request: Request, case_ref: str, user: Officer) -> Response:
    return _close_page(request, _facts(request), {"at": _now(request)})


@router.post("/cases/{case_ref}/close")
def save_close(request: Request, case_ref: str, user: Officer, posted: Posted_) -> Response:
    facts = _facts(request)
    form = _read(request, posted)
    at = form.moment("at", "结案时间")
    outcome = form.required("outcome", "处理结果")
    try:
        form.check("结案信息有误", close_sections())
        assert at is not None
        close_case(
            get_store(request),
            user.actor,
            case_id=facts.id,
            at=at,
            outcome=outcome,
            case=loaded_case(request),
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, known_names(close_sections()))
        return _close_page(request, facts, posted_values(form, close_sections()), errors)
    return _done(facts.id, "closed")
