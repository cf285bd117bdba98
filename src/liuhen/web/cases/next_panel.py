"""The case page's 下一步 panel: ``rules/next_steps`` turned into lines with their buttons.

Built from what the case view already holds (the case, its findings, its rows): no query of
its own. Each step's ``action`` becomes a link to the route that does it, shown to those
whose roles can take it; a step for someone else says whose it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.rules.next_steps import NextStep, next_steps
from liuhen.rules.sources.articles import quote
from liuhen.rules.sources.profiles import load_profile
from liuhen.services.cases.view import CaseView
from liuhen.services.permissions import actions_for

WHO = {
    "officer": "承办执法人员",
    "approver": "审批人",
    "custodian": "档案管理员",
    "head": "机关负责人",
}
STATUS = {"blocked": "须先解决", "next": "下一步", "later": "之后", "waiting": "等待审批"}


@dataclass
class StepLine:
    title: str
    citation: str
    status: str
    status_name: str
    who: str
    detail: str = ""
    due: datetime | None = None
    overdue: bool = False
    href: str = ""
    button: str = ""
    quote: str = ""


@dataclass
class NextPanel:
    gate: str | None
    gate_name: str
    blocked: list[StepLine] = field(default_factory=list)
    steps: list[StepLine] = field(default_factory=list)
    override_href: str = ""
    """The head's 越过提示 form for the next gate, when the user may override and it is held."""
    error: str = ""


def _link(case_id: str, action: str, subject: tuple[str, str]) -> tuple[str, str, str]:
    """(href, button, the permission the route needs) of a step's action."""
    kind, _, code = action.partition(":")
    base = f"/cases/{case_id}"
    table = {
        "approval": (f"{base}/approvals/new?kind={code}", "提请审批", "record.create"),
        "approval_waiting": (f"/approvals#approval-{code}", "去审批", "approval.decide"),
        "act": (f"{base}/acts/new", "记录执法环节", "record.create"),
        "document": (f"{base}/documents/new?kind={code}", "制作文书", "record.create"),
        "service": (
            f"{base}/services/new" + (f"?document={code}" if code else ""),
            "记录送达",
            "record.create",
        ),
        "execution": (f"{base}/executions/new?kind={code}", "记录执行情况", "record.create"),
        "close": (f"{base}/close", "结案", "record.create"),
        "file": (f"{base}/filing", "归档移交", "case.export"),
    }
    if kind in table:
        return table[kind]
    anchor = _anchor(*subject)
    return (f"{base}#{anchor}" if anchor else f"{base}#findings", "查看", "case.read")


def _anchor(kind: str, subject_id: str) -> str:
    prefix = {
        "act": "act",
        "text_record": "record",
        "av_record": "record",
        "approval": "approval",
        "service": "service",
        "execution": "execution",
    }.get(kind)
    if prefix and subject_id and not subject_id.startswith("("):
        return f"{prefix}-{subject_id}"
    return "case-file" if kind == "case_file" else ""


def _line(step: NextStep, case_id: str, actions: frozenset[str]) -> StepLine:
    href, button, needs = _link(case_id, step.action, step.subject)
    mine = needs in actions
    return StepLine(
        title=step.title,
        citation=step.citation,
        status=step.status,
        status_name=STATUS.get(step.status, step.status),
        who=WHO.get(step.who, step.who),
        detail=step.detail,
        due=step.due,
        overdue=step.overdue,
        href=href if mine or needs == "case.read" else "",
        button=button if mine or needs == "case.read" else "",
        quote=quote(step.citation) or "",
    )


def _waiting(view: CaseView) -> dict[str, str]:
    """Approval kind -> an approval of the case requested and not yet decided."""
    rows = view.rows
    assert rows is not None, "the case view carries its rows"
    waiting: dict[str, str] = {}
    for a in rows.approvals:
        state = rows.approval_state(a["id"])
        if state.steps and not state.closed:
            waiting.setdefault(state.kind, state.id)
    return waiting


def next_panel(request: Request, view: CaseView, now: datetime) -> NextPanel | None:
    """The panel for the signed-in user; None when the case cannot be checked (the findings
    section says why)."""
    if view.stored is None or view.calendar is None:
        return None
    user = getattr(request.state, "user", None)
    actions = actions_for(user.roles) if user else frozenset()
    try:
        profile = load_profile(str(view.agency.get("profile") or ""))
    except LiuhenError as exc:
        return NextPanel(None, "", error=exc.message)
    found = next_steps(view.stored, profile, view.found, view.calendar, now, waiting=_waiting(view))
    case_id = str(view.case["id"])
    panel = NextPanel(
        found.gate,
        vocab.GATES.get(found.gate or "", ""),
        [_line(s, case_id, actions) for s in found.blocked],
        [_line(s, case_id, actions) for s in found.steps],
    )
    if found.gate and found.blocked and "gate.override" in actions:
        panel.override_href = f"/cases/{case_id}/override?gate={found.gate}"
    return panel
