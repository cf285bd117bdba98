"""查阅/复制申请 pages and API: register a party's request on its case, follow its approval
(in the approver's existing "待我审批"), hand over the copies by link, show a granted view
request read-only, and list every ledger event of each step."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import LiuhenError, NotFound
from liuhen.services.access.copy_jobs import STATES as COPY_STATES
from liuhen.services.access.copy_jobs import copy_key, requeue_copies
from liuhen.services.access.footage_review import footage_rows
from liuhen.services.access.loading import from_case_rows
from liuhen.services.access.model import ID_TYPES, KINDS, RELATIONS, AccessRequest, mask_id
from liuhen.services.access.queries.files import record_files_of
from liuhen.services.access.queries.requests import (
    get_request,
    list_requests,
    request_events,
    requestable_records,
)
from liuhen.services.access.requests import open_view, register_request
from liuhen.services.access.review import redaction_rows
from liuhen.services.access.share_links import IssuedLink, issue_link, revoke_link
from liuhen.services.admin.users import User
from liuhen.services.cases.view import CaseView
from liuhen.services.permissions import actions_for
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.forms import FormErrors, Posted, case_facts, posted_form

router = APIRouter()
Reader = Annotated[User, Depends(permission("case.read"))]
Clerk = Annotated[User, Depends(permission("access.request"))]
FORM_KEYS = (
    "kind",
    "requester.name",
    "requester.id_type",
    "requester.id_number",
    "requester.relation",
    "requester.phone",
    "purpose",
    "record_ids",
    "exclusions",
)
SAVED = {
    "registered": "申请已登记，并已提请审批；审批人将在“待我审批”中看到。",
    "revoked": "链接已撤销，持有该链接的人不能再下载。",
    "copies": "复制件已在后台开始制作，状态见“复制件”一栏，完成后即可下载和生成交付链接。",
    "redacted": "遮盖内容已确认（保存为新版本，记入全过程日志）。",
}


def case_card(request: Request, view: CaseView) -> list[AccessRequest]:
    """For the case page: the case's requests, from the case view's rows (the view, already
    on the ledger, checked the reader; two queries when the case has requests)."""
    user = getattr(request.state, "user", None)
    if user is None or view.rows is None:
        return []
    return from_case_rows(request.app.state.store, view.rows)


def _case_page_url(case_id: str) -> str:
    return f"/cases/{case_id}/access-requests"


def _list_page(
    request: Request,
    user: User,
    case_id: str,
    *,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    case = loaded_case(request)
    facts = case_facts(store, case)
    can_register = "access.request" in actions_for(user.roles)
    return render(
        request,
        "access_requests.html",
        {
            "active": "cases",
            "facts": facts,
            "requests": list_requests(store, user.actor, case_id, case=case),
            "records": (
                requestable_records(store, user.actor, case_id, case=case) if can_register else []
            ),
            "can_register": can_register,
            "kinds": list(KINDS.items()),
            "id_types": list(ID_TYPES.items()),
            "relations": list(RELATIONS.items()),
            "values": values or {"kind": "copy", "requester.id_type": "resident_id"},
            "errors": errors,
            "mask_id": mask_id,
        },
        status_code=errors.status if errors else 200,
    )


@router.get("/cases/{case_ref}/access-requests", include_in_schema=False)
def requests_page(request: Request, case_ref: str, user: Reader) -> Response:
    return _list_page(request, user, loaded_case(request)["id"])


@router.post("/cases/{case_ref}/access-requests", include_in_schema=False)
def register_form(
    request: Request,
    case_ref: str,
    user: Clerk,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    case_id = loaded_case(request)["id"]
    form = Posted(posted, store.settings.tz)
    values: dict[str, Any] = {k: form.text(k) for k in FORM_KEYS}
    values["record_ids"] = form.texts("record_ids")
    exclusions = {
        key.removeprefix("exclude."): form.text(key)
        for key in posted
        if key.startswith("exclude.") and form.text(key)
    }
    values.update({f"exclude.{k}": v for k, v in exclusions.items()})
    try:
        request_id = register_request(
            store,
            user.actor,
            case_id=case_id,
            kind=form.text("kind"),
            requester={
                k.removeprefix("requester."): v
                for k, v in values.items()
                if k.startswith("requester.")
            },
            record_ids=values["record_ids"],
            purpose=form.text("purpose"),
            exclusions={k: v for k, v in exclusions.items() if k in values["record_ids"]},
            case=loaded_case(request),
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, FORM_KEYS)
        return _list_page(request, user, case_id, errors=errors, values=values)
    return RedirectResponse(
        f"{_case_page_url(case_id)}/{request_id}?saved=registered", status_code=303
    )


def _detail(
    request: Request,
    user: User,
    case_ref: str,
    request_id: str,
    *,
    issued: IssuedLink | None = None,
    failed: str = "",
    after_post: bool = False,
) -> Response:
    """The request's page; ``after_post``: the answer to a POST, whose own event is on
    the ledger (no second event for showing the result)."""
    from liuhen.web.pages import render

    store = get_store(request)
    case = loaded_case(request)
    case_id = case["id"]
    item = get_request(store, user.actor, request_id, case=case, _checked=after_post)
    if item.case_id != case_id:
        raise NotFound(f"access_request: 案件 {case_ref} 没有查阅/复制申请 {request_id}")
    base = str(request.base_url).rstrip("/")
    granted = item.approval is not None and item.approval.outcome == "approved"
    copy_job = request.app.state.jobs.get(copy_key(item.id)) if granted else None
    return render(
        request,
        "access_request.html",
        {
            "active": "cases",
            "facts": case_facts(store, case),
            "item": item,
            "events": request_events(store, item),
            "can_handle": "access.request" in actions_for(user.roles),
            "can_review": "approval.decide" in actions_for(user.roles),
            "redactions": redaction_rows(store, item),
            "footage": footage_rows(store, item),
            "copy_job": copy_job if item.kind == "copy" else None,
            "copy_states": COPY_STATES,
            "issued": issued,
            "issued_url": f"{base}{issued.path}" if issued else "",
            "saved": SAVED.get(request.query_params.get("saved", ""), ""),
            "failed": failed,
            "mask_id": mask_id,
            "id_types": ID_TYPES,
            "relations": RELATIONS,
            "positions": vocab.POSITIONS,
        },
    )


@router.get("/cases/{case_ref}/access-requests/{request_id}", include_in_schema=False)
def request_page(request: Request, case_ref: str, request_id: str, user: Reader) -> Response:
    return _detail(request, user, case_ref, request_id)


@router.post("/cases/{case_ref}/access-requests/{request_id}/link", include_in_schema=False)
def issue_form(
    request: Request,
    case_ref: str,
    request_id: str,
    user: Clerk,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    try:
        issued = issue_link(get_store(request), user.actor, request_id, case=loaded_case(request))
    except LiuhenError as exc:
        return _detail(request, user, case_ref, request_id, failed=exc.message, after_post=True)
    return _detail(request, user, case_ref, request_id, issued=issued, after_post=True)


@router.post(
    "/cases/{case_ref}/access-requests/{request_id}/links/{link_id}/revoke",
    include_in_schema=False,
)
def revoke_form(
    request: Request,
    case_ref: str,
    request_id: str,
    link_id: str,
    user: Clerk,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    try:
        revoke_link(get_store(request), user.actor, link_id, str(posted.get("reason", "")))
    except LiuhenError as exc:
        return _detail(request, user, case_ref, request_id, failed=exc.message, after_post=True)
    return RedirectResponse(
        f"/cases/{case_ref}/access-requests/{request_id}?saved=revoked", status_code=303
    )


@router.post("/cases/{case_ref}/access-requests/{request_id}/copies", include_in_schema=False)
def copies_form(
    request: Request,
    case_ref: str,
    request_id: str,
    user: Clerk,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    try:
        requeue_copies(get_store(request), user.actor, request_id)
    except LiuhenError as exc:
        return _detail(request, user, case_ref, request_id, failed=exc.message, after_post=True)
    request.app.state.jobs.wake()  # this node's runner takes it now (or another node's)
    return RedirectResponse(
        f"/cases/{case_ref}/access-requests/{request_id}?saved=copies", status_code=303
    )


@router.get("/cases/{case_ref}/access-requests/{request_id}/view", include_in_schema=False)
def view_page(request: Request, case_ref: str, request_id: str, user: Clerk) -> Response:
    """The read-only view of a granted 查阅 request: opening it is a ledger event."""
    from liuhen.web.pages import render

    store = get_store(request)
    case = loaded_case(request)
    item = open_view(store, user.actor, request_id, case=case)
    files = record_files_of(store, [i["record_id"] for i in item.included])
    return render(
        request,
        "access_view.html",
        {"active": "cases", "facts": case_facts(store, case), "item": item, "files": files},
    )


# -- JSON API -----------------------------------------------------------------------------
class RequesterIn(BaseModel):
    name: str = Field("", description="申请人姓名或名称")
    id_type: str = Field(
        "", description="证件类型：" + "；".join(f"{k}={v}" for k, v in ID_TYPES.items())
    )
    id_number: str = Field("", description="证件号码")
    relation: str = Field(
        "", description="与案件的关系：" + "；".join(f"{k}={v}" for k, v in RELATIONS.items())
    )
    phone: str = Field("", description="联系电话")


class AccessRequestIn(BaseModel):
    kind: str = Field("", description="view=查阅；copy=复制")
    requester: RequesterIn
    record_ids: list[str] = Field(default_factory=list, description="申请的记录（本案当前版本）")
    purpose: str = Field("", description="申请理由（用途）")
    exclusions: dict[str, str] = Field(
        default_factory=dict, description="不予提供的记录及理由（记录标识 → 理由）"
    )


@router.get("/api/cases/{case_ref}/access-requests", tags=["access"], summary="案件的查阅/复制申请")
def api_list(request: Request, case_ref: str, user: Reader) -> dict[str, Any]:
    case = loaded_case(request)
    items = list_requests(get_store(request), user.actor, case["id"], case=case)
    return {"requests": [i.to_dict() for i in items]}


@router.post(
    "/api/cases/{case_ref}/access-requests",
    tags=["access"],
    summary="登记查阅/复制申请（同时提请审批）",
    status_code=201,
)
def api_register(
    request: Request, case_ref: str, body: AccessRequestIn, user: Clerk
) -> dict[str, Any]:
    store = get_store(request)
    case = loaded_case(request)
    request_id = register_request(
        store,
        user.actor,
        case_id=case["id"],
        kind=body.kind,
        requester=body.requester.model_dump(),
        record_ids=body.record_ids,
        purpose=body.purpose,
        exclusions=body.exclusions,
        case=case,
    )
    # the registration is on the ledger: showing what was registered is no second view
    return get_request(store, user.actor, request_id, _checked=True, case=case).to_dict()


@router.get("/api/access-requests/{request_id}", tags=["access"], summary="查阅/复制申请详情")
def api_get(request: Request, request_id: str, user: Reader) -> dict[str, Any]:
    store = get_store(request)
    item = get_request(store, user.actor, request_id, case=loaded_case(request))
    job = request.app.state.jobs.get(copy_key(item.id)) if item.kind == "copy" else None
    copy_job = job.to_dict() | {"state_name": COPY_STATES[job.state]} if job else None
    return {**item.to_dict(), "events": request_events(store, item), "copy_job": copy_job}


@router.post(
    "/api/access-requests/{request_id}/links",
    tags=["access"],
    summary="生成复制件交付链接（令牌只返回这一次）",
    status_code=201,
)
def api_issue(request: Request, request_id: str, user: Clerk) -> dict[str, Any]:
    issued = issue_link(get_store(request), user.actor, request_id, case=loaded_case(request))
    return {
        "id": issued.id,
        "url": f"{str(request.base_url).rstrip('/')}{issued.path}",
        "expires_at": issued.expires_at.isoformat(),
        "max_uses": issued.max_uses,
    }
