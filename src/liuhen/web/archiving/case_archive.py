"""The case file on the case page: filing (归档移交) to a custodian, the 四性检测 report
with a button to run it again, each record's retention, and disposal of a record after its
date (web form and JSON API). Every refusal is a ledger event and one Chinese message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.jobs.model import JobView, actor_args
from liuhen.jobs.runner import JobRunner
from liuhen.services.access.view_log import log_view
from liuhen.services.admin.users import User
from liuhen.services.archiving.disposal import disposal_info, dispose, request_disposal
from liuhen.services.archiving.export_jobs import ExportJob, case_jobs_of
from liuhen.services.archiving.filing import (
    CASE_FILE_TERMS,
    file_case,
    filing_state,
    filing_state_of,
    latest_four_properties,
    latest_four_properties_of,
)
from liuhen.services.archiving.queries.filing import custodians
from liuhen.services.archiving.queries.retention import record_retention, retention_of_rows
from liuhen.services.cases.view import CaseView
from liuhen.services.permissions import actions_for
from liuhen.web.auth.permission import (
    case_if_loaded,
    check_csrf,
    get_store,
    loaded_case,
    permission,
)
from liuhen.web.forms import (
    Field,
    FormErrors,
    Posted,
    case_facts,
    known_names,
    local_input,
    posted_form,
    posted_values,
    step_page,
)

router = APIRouter()
Archivist = Annotated[User, Depends(permission("case.export"))]
Disposer = Annotated[User, Depends(permission("record.dispose"))]
Reader = Annotated[User, Depends(permission("case.read"))]
Posted_ = Annotated[FormData, Depends(posted_form)]

SAVED = {
    "filed": "案卷已归档移交；归档四性检测在后台进行，完成后报告显示在下方并记入全过程日志。",
    "checked": "四性检测已完成，报告已记入全过程日志。",
    "checking": "四性检测已在后台开始；完成后报告显示在下方，并记入全过程日志。",
    "exporting": "导出已在后台开始；完成后可在下方“导出”处下载。",
}


CHECK_PURPOSES = ("filing", "on_demand")


def four_properties_key(case_id: str, purpose: str = "on_demand") -> str:
    """The background job of a case's 四性检测 for ``purpose`` (one at a time of each)."""
    return f"four-properties:{purpose}:{case_id}"


def _check_job(request: Request, case_id: str) -> JobView | None:
    """The case's check job to show (on any node): one waiting or running, else the latest
    to end."""
    registry: JobRunner = request.app.state.jobs
    return _shown(registry.latest(four_properties_key(case_id, p) for p in CHECK_PURPOSES))


def _shown(latest: dict[str, JobView]) -> JobView | None:
    held = list(latest.values())
    active = [j for j in held if j.active]
    if active:
        return active[0]
    return max(held, key=lambda j: j.submitted_at, default=None)


@dataclass
class ArchivePanel:
    closed: bool
    filing: dict[str, Any]
    report: dict[str, Any] | None
    records: list[dict[str, Any]] = field(default_factory=list)
    can_file: bool = False
    can_dispose: bool = False
    saved: str = ""
    job: JobView | None = None
    exports: list[ExportJob] = field(default_factory=list)


def case_archive(request: Request, view: CaseView) -> ArchivePanel:
    """The case page's case-file section, from the case view's rows and the case's ledger
    facts (the latest 四性检测 report)."""
    user = getattr(request.state, "user", None)
    actions = actions_for(user.roles) if user else frozenset()
    store = request.app.state.store
    rows = view.rows
    assert rows is not None, "the case view carries its rows"
    case_id = rows.id
    state = filing_state_of(rows)
    jobs, exports = case_jobs_of(store, case_id)  # both in one statement
    keys = {four_properties_key(case_id, p) for p in CHECK_PURPOSES}
    checks = {j["key"]: JobView.of(j) for j in jobs if j["key"] in keys}  # the newest last
    return ArchivePanel(
        closed=state["closed_at"] is not None,
        filing=state,
        report=latest_four_properties_of(store, rows),
        records=retention_of_rows(rows, store.clock()),
        can_file="case.export" in actions,
        can_dispose="record.dispose" in actions,
        saved=SAVED.get(request.query_params.get("archived", ""), ""),
        job=_shown(checks),
        exports=exports if "case.export" in actions else [],
    )


# -- filing -------------------------------------------------------------------------------


def filing_sections(store: Any, agency_id: str | None) -> list[tuple[str, list[Field]]]:
    terms = tuple((c, vocab.RETENTION_TERMS[c]) for c in CASE_FILE_TERMS)
    return [
        (
            "归档移交",
            [
                Field(
                    "custodian",
                    "接收案卷的档案管理员",
                    "select",
                    True,
                    tuple(custodians(store, agency_id)),
                ),
                Field("filed_at", "移交时间", "datetime", True),
                Field("retention_term", "案卷保存期限", "select", True, terms),
                Field("note", "备注", "multiline"),
            ],
        )
    ]


def _filing_page(
    request: Request, case_id: str, values: dict[str, Any], errors: Any = None
) -> Response:
    store = get_store(request)
    facts = case_facts(store, loaded_case(request))
    return step_page(
        request,
        facts=facts,
        heading="归档移交",
        action=f"/cases/{facts.id}/filing",
        sections=filing_sections(store, loaded_case(request)["agency_id"]),
        values=values,
        errors=errors,
        submit="移交并做四性检测",
        intro="结案后将案卷移交档案管理员；移交时系统自动做四性检测（DA/T 70），报告随移交保存。",
    )


@router.get("/cases/{case_ref}/filing", include_in_schema=False)
def filing_form(request: Request, case_ref: str, user: Archivist) -> Response:
    store = get_store(request)
    case_id = loaded_case(request)["id"]
    state = filing_state(store, case_id)
    mine = user.id if "custodian" in user.roles else ""
    values = {
        "custodian": mine,
        "filed_at": local_input(store.clock(), store.settings.tz),
        "retention_term": state["default_term"],
    }
    return _filing_page(request, case_id, values)


@router.post("/cases/{case_ref}/filing", include_in_schema=False)
def save_filing(request: Request, case_ref: str, user: Archivist, posted: Posted_) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    case = loaded_case(request)
    case_id = case["id"]
    form = Posted(posted, store.settings.tz)
    sections = filing_sections(store, case["agency_id"])
    filed_at = form.moment("filed_at", "移交时间")
    try:
        form.check("归档移交信息有误", sections)
        file_case(
            store,
            user.actor,
            case_id,
            custodian_id=form.text("custodian"),
            filed_at=filed_at,
            retention_term=form.text("retention_term"),
            note=form.text("note"),
            check=False,  # packaging the whole case takes a while: the worker does it
            case=case,
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, known_names(sections))
        return _filing_page(request, case_id, posted_values(form, sections), errors)
    start_check(request, user, case_id, purpose="filing")
    return RedirectResponse(f"/cases/{case_id}?archived=filed#archive", 303)


def start_check(request: Request, user: User, case_id: str, *, purpose: str) -> None:
    """Queue the case's 四性检测 as a cluster job (one waiting or running per case and
    purpose, whichever node is asked; any node's runner does it)."""
    request.app.state.jobs.submit(
        "four_properties",
        four_properties_key(case_id, purpose),
        {"case_id": case_id, "purpose": purpose, "actor": actor_args(user.actor)},
        case_id=case_id,
        requested_by=user.id,
    )


@router.post("/cases/{case_ref}/four-properties", include_in_schema=False)
def run_four_properties(
    request: Request, case_ref: str, user: Archivist, posted: Posted_
) -> Response:
    """Start the check in the background (it packages the whole case) and return at once;
    the case page shows it running, then its report."""
    check_csrf(request, str(posted.get("csrf", "")))
    case = loaded_case(request)  # the permission check refused it now, not in the job
    case_id = case["id"]
    start_check(request, user, case_id, purpose="on_demand")
    return RedirectResponse(f"/cases/{case_id}?archived=checking#archive", 303)


@router.get(
    "/api/cases/{case_ref}/four-properties",
    tags=["archive"],
    summary="案件的四性检测（DA/T 70）最新报告",
)
def api_four_properties(request: Request, case_ref: str, user: Reader) -> dict[str, Any]:
    store = get_store(request)
    case_id = loaded_case(request)["id"]
    log_view(store, user.actor, case_id, "four_properties")
    job = _check_job(request, case_id)
    return {
        "case_id": case_id,
        "report": latest_four_properties(store, case_id),
        "running": bool(job and job.active),
        "last_error": job.error if job else "",
    }


# -- retention and disposal -----------------------------------------------------------------


def _case_id(request: Request) -> str | None:
    """The case the permission check found for the path (None for footage not linked)."""
    return (getattr(request.state, "case", None) or {}).get("id")


def _disposal_page(
    request: Request, record_id: str, error: LiuhenError | None = None, saved: str = ""
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    info = disposal_info(store, record_id)
    return render(
        request,
        "disposal.html",
        {
            "info": info,
            "ret": info["retention"],
            "error": error,
            "saved": saved,
            "now": store.clock(),
        },
        status_code=error.http_status if error else 200,
    )


@router.get("/records/{record_id}/disposal", include_in_schema=False)
def disposal_page(request: Request, record_id: str, user: Reader) -> Response:
    case_id = _case_id(request)
    log_view(get_store(request), user.actor, case_id, "disposal", record_id=record_id)
    return _disposal_page(
        request,
        record_id,
        saved={"requested": "处置审批已提请，待批准后可处置。", "done": "已处置。"}.get(
            request.query_params.get("saved", ""), ""
        ),
    )


@router.post("/records/{record_id}/disposal/request", include_in_schema=False)
def ask_disposal(request: Request, record_id: str, user: Disposer, posted: Posted_) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    try:
        request_disposal(
            store,
            user.actor,
            record_id,
            reason=str(posted.get("reason", "")),
            case=case_if_loaded(request),
        )
    except LiuhenError as exc:
        return _disposal_page(request, record_id, exc)
    return RedirectResponse(f"/records/{record_id}/disposal?saved=requested", 303)


@router.post("/records/{record_id}/dispose", include_in_schema=False)
def dispose_form(request: Request, record_id: str, user: Disposer, posted: Posted_) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    try:
        dispose(
            store,
            user.actor,
            record_id,
            approval_id=str(posted.get("approval_id", "")).strip() or None,
            reason=str(posted.get("reason", "")),
            case=case_if_loaded(request),
        )
    except LiuhenError as exc:
        return _disposal_page(request, record_id, exc)
    return RedirectResponse(f"/records/{record_id}/disposal?saved=done", 303)


@router.get(
    "/api/records/{record_id}/retention",
    tags=["archive"],
    summary="记录的保管期限类别、依据和到期日",
)
def api_retention(request: Request, record_id: str, user: Reader) -> dict[str, Any]:
    store = get_store(request)
    log_view(store, user.actor, _case_id(request), "retention", record_id=record_id)
    ret = record_retention(store, record_id)
    return {**ret.to_dict(), "expired": ret.expired(store.clock())}


@router.post(
    "/api/records/{record_id}/dispose",
    tags=["archive"],
    summary="处置保管期满的记录（须经批准；期满前拒绝并记入日志）",
)
def api_dispose(
    request: Request,
    record_id: str,
    user: Disposer,
    approval_id: Annotated[str | None, Body()] = None,
    reason: Annotated[str, Body()] = "",
) -> dict[str, Any]:
    result = dispose(
        get_store(request),
        user.actor,
        record_id,
        approval_id=approval_id,
        reason=reason,
        case=case_if_loaded(request),
    )
    return result.to_dict()
