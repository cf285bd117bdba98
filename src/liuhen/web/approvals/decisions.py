"""待我审批: the open approvals a user may decide, each with its steps so far (承办人 →
审核人 → 批准人, opinion, time) and a form to add this user's step (002§37)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.approvals.kinds import kind_of
from liuhen.services.approvals.model import DECISIONS, ApprovalState, positions_for
from liuhen.services.approvals.queries import inbox
from liuhen.services.approvals.workflow import decide
from liuhen.services.archiving.disposal import PURPOSE as DISPOSAL
from liuhen.services.archiving.queries.retention import record_retention
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.cases.profile_hints import approvers
from liuhen.web.forms import FormErrors, Posted, posted_form

router = APIRouter(include_in_schema=False)
Decider = Annotated[User, Depends(permission("approval.decide"))]

FIELD_LABELS = {
    "reason": "启动原因",
    "party": "当事人基本情况",
    "facts": "违法事实",
    "legal_basis": "依据",
    "proposed_penalty": "处罚意见",
    "participants": "参加人员",
    "discussion": "讨论情况",
    "conclusion": "讨论结论",
    "reasons": "理由",
    "purpose": "事项",
    "record_ids": "所涉记录",
    "retention_until": "保管期限届满",
}
PURPOSES = {DISPOSAL: "处置保管期满的记录（删除文件，保留墓碑）"}
FORM_KEYS = ("position", "opinion", "decision", "final")


def _page(
    request: Request,
    user: User,
    *,
    failed: str = "",
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    waiting = inbox(store, user.actor)
    positions = [(p, vocab.POSITIONS[p]) for p in positions_for(user.roles)]
    wanted = _wanted(store, waiting)
    shown = {a.id: _shown_fields(a, store.settings.tz) for a in waiting}
    return render(
        request,
        "approvals.html",
        {
            "active": "approvals",
            "waiting": len(waiting),  # the navigation's count: this very list
            "approvals": waiting,
            "positions": positions,
            "wanted": wanted,
            "default_position": {
                a.id: next((p for p, _ in positions if p in wanted[a.id]), positions[0][0])
                if positions
                else ""
                for a in waiting
            },
            "decisions": [(k, DECISIONS[k]) for k in ("approved", "rejected")],
            "step_roles": vocab.STEP_ROLES,
            "position_names": vocab.POSITIONS,
            "decision_names": DECISIONS,
            "shown_fields": shown,
            "failed": failed,
            "errors": errors,
            "values": values or {},
            "done": request.query_params.get("done", ""),
        },
        status_code=errors.status if errors else 200,
    )


def _shown_fields(approval: ApprovalState, tz: Any) -> list[tuple[str, str]]:
    """What was asked, as label and text (lists joined, times in local time)."""
    out = []
    for key, value in approval.fields.items():
        if key == "purpose":
            value = PURPOSES.get(str(value), value)
        elif key == "retention_until" and value:
            value = f"{datetime.fromisoformat(str(value)).astimezone(tz):%Y年%m月%d日}"
        elif key == "record_ids" and isinstance(value, list):  # titles, not identifiers
            value = "、".join(
                f"《{approval.subject_title}》" if v == approval.subject_record_id else str(v)
                for v in value
            )
        elif isinstance(value, list):
            value = "、".join(str(v) for v in value)
        out.append((FIELD_LABELS.get(key, key), "" if value is None else str(value)))
    return out


def _wanted(store: Any, waiting: list[ApprovalState]) -> dict[str, list[str]]:
    """Approval id -> the capacities the profile wants it approved in: its kind's rule (the
    access rule for a party's request: one query for all), the retention schedule for a
    disposal (one per disposal), else the case's approval rule (no query)."""
    wanted: dict[str, list[str]] = {}
    for kind in sorted({a.kind for a in waiting}):
        of_kind = [a for a in waiting if a.kind == kind]
        wanted.update(kind_of(kind).wanted_positions(store, of_kind))
    for approval in waiting:
        if approval.id in wanted:
            continue
        if approval.fields.get("purpose") == DISPOSAL and approval.subject_record_id:
            retention = record_retention(store, approval.subject_record_id)
            wanted[approval.id] = list(retention.approver_positions)
        elif approval.case_id is None:
            wanted[approval.id] = []
        else:
            wanted[approval.id] = approvers(
                approval.case_profile, approval.case_procedure, approval.kind
            )
    return wanted


@router.get("/approvals")
def approvals_page(request: Request, user: Decider) -> Response:
    return _page(request, user)


@router.post("/approvals/{approval_id}/decide")
def decide_approval(
    request: Request,
    approval_id: str,
    user: Decider,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    form = Posted(posted, store.settings.tz)
    values: dict[str, Any] = {key: form.text(key) for key in FORM_KEYS}
    values["final"] = form.flag("final")
    try:
        state = decide(
            store,
            user.actor,
            approval_id,
            decision=form.text("decision"),
            opinion=form.text("opinion"),
            position=form.text("position"),
            final=form.flag("final"),
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, FORM_KEYS)
        return _page(request, user, failed=approval_id, errors=errors, values=values)
    if state.closed and state.kind == "access_request":  # a granted copy request's job
        request.app.state.jobs.wake()
    done = "closed" if state.closed else "step"
    return RedirectResponse(f"/approvals?done={done}", status_code=303)
