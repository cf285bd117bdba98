"""越过提示: the head (``gate.override``) takes a gated step — a decision, closing or filing —
past the open findings that hold it, with a reason. One page per gate shows those findings
with their articles and the step's own form plus the reason; the services record the
override on the ledger in the step's transaction (``services/cases/gates``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.rules.gates import DECISION_BY_PROCEDURE
from liuhen.services.admin.users import User
from liuhen.services.archiving.filing import file_case, filing_state_of
from liuhen.services.cases.gates import Override, finding_line, preview_gate
from liuhen.services.cases.queries.case_rows import load_rows
from liuhen.services.cases.serving import close_case
from liuhen.web.archiving.case_archive import filing_sections, start_check
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.cases.document_form import blank_values, document_form
from liuhen.web.cases.documents import _page as document_page
from liuhen.web.cases.documents import save_new
from liuhen.web.cases.steps import close_sections
from liuhen.web.forms import (
    Field,
    FormErrors,
    Posted,
    Section,
    case_facts,
    known_names,
    local_input,
    posted_form,
    posted_values,
    step_page,
)

router = APIRouter(include_in_schema=False)
Head = Annotated[User, Depends(permission("gate.override"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
REASON: Section = (
    "越过提示的决定",
    [
        Field(
            "override_reason",
            "越过提示的理由",
            "multiline",
            True,
            hint="写明为何在上列问题未解决时仍然办理；理由与这些问题一并记入全过程日志和案卷备考表",
        )
    ],
)
SAVED = {"close": "/cases/{id}?saved=closed", "file": "/cases/{id}?archived=filed#archive"}


def _gate(value: str) -> str:
    return value if value in vocab.GATES else "close"


def _notice(request: Request, gate: str) -> dict[str, Any]:
    found = preview_gate(get_store(request), loaded_case(request), gate)
    name = vocab.GATES[gate]
    return {
        "title": f"{name}前尚未解决的评查发现（{len(found)} 项）",
        "lines": [finding_line(f) for f in found],
        "empty": f"目前没有阻止{name}的评查发现，无须越过提示。",
        "note": "只有机关负责人可以越过提示；越过后，上列问题仍在案件的评查发现中，须继续整改。",
    }


def _sections(request: Request, gate: str) -> list[Section]:
    if gate == "file":
        case = loaded_case(request)
        return [*filing_sections(get_store(request), case["agency_id"]), REASON]
    return [*close_sections(), REASON]


def _step_page(
    request: Request, gate: str, values: dict[str, Any], errors: FormErrors | None = None
) -> Response:
    facts = case_facts(get_store(request), loaded_case(request))
    sections = _sections(request, gate)
    name = vocab.GATES[gate]
    return step_page(
        request,
        facts=facts,
        heading=f"越过提示{name}",
        action=f"/cases/{facts.id}/override?gate={gate}",
        sections=sections,
        values=values,
        errors=errors,
        submit=f"说明理由并{name}",
        intro=f"机关负责人在下列问题未解决时决定{name}：理由和这些问题记入全过程日志，显示在案件时间线和案卷备考表中。",
        notice=_notice(request, gate),
    )


@router.get("/cases/{case_ref}/override")
def override_form(
    request: Request, case_ref: str, user: Head, gate: str = "", kind: str = ""
) -> Response:
    gate = _gate(gate)
    store = get_store(request)
    case = loaded_case(request)
    if gate == "decide":
        facts = case_facts(store, case)
        code = kind if kind in vocab.DECISION_DOCUMENTS else _decision_kind(case)
        form = document_form(code, facts)
        blank = blank_values(form, facts, None, store.clock(), store.settings.tz)
        return document_page(request, facts, form, blank, notice=_notice(request, gate))
    now = local_input(store.clock(), store.settings.tz)
    if gate == "file":
        state = filing_state_of(load_rows(store, case))
        return _step_page(request, gate, {"filed_at": now, "retention_term": state["default_term"]})
    return _step_page(request, gate, {"at": now})


def _decision_kind(case: dict[str, Any]) -> str:
    return DECISION_BY_PROCEDURE.get(str(case["procedure"]), "penalty_decision")


@router.post("/cases/{case_ref}/override")
def save_override(request: Request, case_ref: str, user: Head, posted: Posted_) -> Response:
    gate = _gate(request.query_params.get("gate") or str(posted.get("gate", "")))
    override = Override(str(posted.get("override_reason", "")))
    if gate == "decide":
        return save_new(request, user, posted, override, _notice(request, gate))
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    case = loaded_case(request)
    form = Posted(posted, store.settings.tz)
    sections = _sections(request, gate)
    try:
        form.required("override_reason", "越过提示的理由")
        if gate == "close":
            _close(request, user, form, sections, override)
        else:
            _file(request, user, form, sections, override)
    except LiuhenError as exc:
        errors = FormErrors.of(exc, known_names(sections))
        return _step_page(request, gate, posted_values(form, sections), errors)
    return RedirectResponse(SAVED[gate].format(id=case["id"]), status_code=303)


def _close(
    request: Request, user: User, form: Posted, sections: list[Section], override: Override
) -> None:
    case = loaded_case(request)
    at = form.moment("at", "结案时间")
    outcome = form.required("outcome", "处理结果")
    form.check("结案信息有误", sections)
    assert at is not None
    close_case(
        get_store(request),
        user.actor,
        case_id=case["id"],
        at=at,
        outcome=outcome,
        case=case,
        override=override,
    )


def _file(
    request: Request, user: User, form: Posted, sections: list[Section], override: Override
) -> None:
    case = loaded_case(request)
    filed_at = form.moment("filed_at", "移交时间")
    form.check("归档移交信息有误", sections)
    file_case(
        get_store(request),
        user.actor,
        case["id"],
        custodian_id=form.text("custodian"),
        filed_at=filed_at,
        retention_term=form.text("retention_term"),
        note=form.text("note"),
        check=False,  # the worker runs 四性检测, as on the filing form
        case=case,
        override=override,
    )
    start_check(request, user, case["id"], purpose="filing")
