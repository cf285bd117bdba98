"""What the case page shows: the case's items on one timeline of the five stages, and its
findings with the article each one cites, quoted. Opening it is a ledger event (实时调阅)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.case import Case
from liuhen.domain.finding import Finding
from liuhen.errors import LiuhenError
from liuhen.ledger.events import Actor
from liuhen.rules.sources.articles import quote, source_title
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.rules.sources.profiles import load_profile
from liuhen.services.cases.bundles import bundle_findings, bundle_of
from liuhen.services.cases.cases import PROCEDURES
from liuhen.services.cases.gates import overrides_of
from liuhen.services.cases.queries.case_rows import CaseRows, load_rows
from liuhen.services.permissions import require_case
from liuhen.store.store import Store

STAGES = (
    ("initiation", "启动"),
    ("investigation", "调查取证"),
    ("decision", "审查决定"),
    ("service_execution", "送达执行"),
    ("archiving", "归档"),
)
_DOC_STAGE = {
    "initiation": {
        "complaint_registration",
        "complaint_reply",
        "application_registration",
        "application_receipt",
        "acceptance_notice",
        "rejection_notice",
        "supplement_notice",
    },
    "decision": {
        "investigation_report",
        "draft_decision",
        "penalty_opinion",
        "penalty_decision",
        "no_penalty_decision",
        "on_the_spot_decision",
        "simple_procedure_record",
        "coercion_decision",
        "rectification_order",
        "expert_opinion",
        "expert_minutes",
    },
    "service_execution": {
        "reminder",
        "enforcement_application",
        "execution_statement",
        "re_inspection_opinion",
    },
    "archiving": {"closing_report"},
}
_ANCHORS = {
    "act": "act",
    "text_record": "record",
    "av_record": "record",
    "approval": "approval",
    "service": "service",
    "execution": "execution",
}
_APPROVAL_STAGE = {"initiation": "initiation", "coercion": "initiation"}


@dataclass
class TimelineItem:
    anchor: str
    at: str
    kind: str
    title: str
    detail: str = ""


@dataclass
class CaseView:
    case: dict[str, Any]
    party: dict[str, Any]
    agency: dict[str, Any]
    procedure_name: str
    stages: list[tuple[str, str, list[TimelineItem]]]
    profile_name: str = ""
    """The name of the regulation the case is checked against (never its slug)."""
    findings: list[dict[str, Any]] = field(default_factory=list)
    findings_error: str | None = None
    rows: CaseRows | None = None
    """Every row of the case, read once: the page's panels are built from these."""
    bundle: dict[str, Any] = field(default_factory=dict)
    calendar: WorkCalendar | None = None
    stored: Case | None = None
    """The rules' model of the bundle, built once for the findings and the AV panel."""
    found: list[Finding] = field(default_factory=list)
    """The findings as the engine gave them (``findings`` is their page form)."""
    overrides: list[dict[str, Any]] = field(default_factory=list)
    """The head's overrides of a gate (``services/cases/gates``), oldest first."""


def _profile_name(profile_id: object) -> str:
    """The regulation's name for the case page; an unknown profile says so in Chinese."""
    if not profile_id:
        return ""
    try:
        return load_profile(str(profile_id)).name
    except LiuhenError:
        return f"未知的制度配置（{profile_id}）"


def _doc_stage(kind: str) -> str:
    return next((stage for stage, kinds in _DOC_STAGE.items() if kind in kinds), "investigation")


def case_view(
    store: Store,
    actor: Actor,
    case_id: str,
    now: datetime | None = None,
    *,
    case: Mapping[str, Any] | None = None,
) -> CaseView:
    """The case page's view: its timeline and findings, and the rows it was built from.
    ``case``: the case as the permission check loaded it (not read again)."""
    loaded = require_case(store, actor, "case.read", case_id, case)
    rows = load_rows(store, loaded)
    bundle = bundle_of(rows, store.settings.tz)
    store.record_view(
        actor, "case.viewed", subject_type="case", subject_id=case_id, case_id=case_id
    )
    items = _timeline(bundle, rows)
    overrides = overrides_of(store, rows)
    _add_overrides(items, overrides, store.settings.tz)
    view = CaseView(
        case=bundle["case"],
        party=bundle["party"],
        agency=bundle["agency"],
        procedure_name=PROCEDURES.get(bundle["case"]["procedure"], bundle["case"]["procedure"]),
        stages=[(key, name, items[key]) for key, name in STAGES],
        profile_name=_profile_name(bundle["agency"].get("profile")),
        rows=rows,
        bundle=bundle,
        calendar=store.calendar(),
        overrides=overrides,
    )
    try:
        view.stored = stored_case(bundle)
        findings = bundle_findings(bundle, now or store.clock(), view.calendar, view.stored)
    except LiuhenError as exc:
        view.findings_error = exc.message
        return view
    view.found = findings
    view.findings.extend(_finding_dict(f) for f in findings)
    return view


Items = dict[str, list[TimelineItem]]
"""Stage key -> the timeline items in that stage."""


def _timeline(bundle: Mapping[str, Any], rows: CaseRows) -> Items:
    """The case's items by stage, each stage in time order (items at the same time in the
    order acts, documents, recordings, approvals, services, execution, case file)."""
    items: Items = {key: [] for key, _ in STAGES}
    _add_records(items, bundle)
    _add_approvals(items, bundle, rows)
    _add_service_and_after(items, bundle)
    for stage_items in items.values():
        stage_items.sort(key=lambda i: i.at)
    return items


def _add_records(items: Items, bundle: Mapping[str, Any]) -> None:
    """Acts, documents and recordings."""
    for act in bundle["acts"]:
        stage = "initiation" if act["kind"] == "application_acceptance" else "investigation"
        if act["kind"] in ("re_inspection",):
            stage = "service_execution"
        items[stage].append(
            TimelineItem(
                f"act-{act['id']}",
                act["started_at"],
                "执法环节",
                vocab.ACT_KINDS.get(act["kind"], act["kind"]),
                act.get("place", ""),
            )
        )
    for record in bundle["text_records"]:
        title = record.get("title") or vocab.DOCUMENT_KINDS.get(record["kind"], record["kind"])
        items[_doc_stage(record["kind"])].append(
            TimelineItem(
                f"record-{record['id']}",
                record["made_at"],
                "执法文书",
                title,
                record.get("number", ""),
            )
        )
    for av in bundle["av_records"]:
        start = av["segments"][0]["start"] if av.get("segments") else ""
        items["investigation"].append(
            TimelineItem(
                f"record-{av['id']}",
                start,
                "音像记录",
                f"音像记录（{len(av.get('segments', []))} 段）",
                av.get("custodian", ""),
            )
        )


def _add_approvals(items: Items, bundle: Mapping[str, Any], rows: CaseRows) -> None:
    """Decided approvals (from the bundle), then those still waiting (from the rows)."""
    for approval in bundle["approvals"]:
        steps = approval.get("steps", [])
        at = steps[-1]["at"] if steps else ""
        stage = _APPROVAL_STAGE.get(approval["kind"], "decision")
        items[stage].append(
            TimelineItem(
                f"approval-{approval['id']}",
                at,
                "审批",
                vocab.APPROVAL_KINDS.get(approval["kind"], approval["kind"]),
                "；".join(f"{s.get('name', '')}：{s.get('opinion', '')}" for s in steps),
            )
        )
    states = [rows.approval_state(a["id"]) for a in rows.approvals]
    for waiting in [s for s in states if s.steps and not s.closed]:
        items[_APPROVAL_STAGE.get(waiting.kind, "decision")].append(
            TimelineItem(
                f"approval-{waiting.id}",
                waiting.requested_at.isoformat(),
                "审批（待审批）",
                waiting.kind_name,
                "；".join(f"{s['name']}：{s['opinion']}" for s in waiting.steps),
            )
        )


def _add_service_and_after(items: Items, bundle: Mapping[str, Any]) -> None:
    """Services, execution events and the forming of the case file."""
    for service in bundle["services"]:
        items["service_execution"].append(
            TimelineItem(
                f"service-{service['id']}",
                service.get("served_at", ""),
                "送达",
                vocab.SERVICE_MODES.get(service["mode"], service["mode"]),
                service.get("recipient", ""),
            )
        )
    for event in bundle["execution"]:
        items["service_execution"].append(
            TimelineItem(
                f"execution-{event['id']}",
                event["at"],
                "执行",
                vocab.EXECUTION_KINDS.get(event["kind"], event["kind"]),
            )
        )
    if bundle.get("case_file", {}).get("formed_at"):
        items["archiving"].append(
            TimelineItem(
                "case-file",
                bundle["case_file"]["formed_at"],
                "案卷",
                "形成案卷",
                bundle["case_file"].get("custodian", ""),
            )
        )


_GATE_STAGE = {"decide": "decision", "close": "service_execution", "file": "archiving"}


def _add_overrides(items: Items, overrides: list[dict[str, Any]], tz: tzinfo) -> None:
    """The head's overrides, each in the stage of the step it let through."""
    for o in overrides:
        items[_GATE_STAGE.get(o["gate"], "archiving")].append(
            TimelineItem(
                f"override-{o['seq']}",
                o["at"].astimezone(tz).isoformat(),
                "越过提示的决定",
                f"{o['actor']}越过评查提示{o['gate_name']}",
                f"理由：{o['reason']}；当时未解决 {len(o['findings'])} 项："
                + "；".join(
                    f"{f.get('citation', '')} {f.get('message', '')}" for f in o["findings"]
                ),
            )
        )


def _finding_dict(f: Finding) -> dict[str, Any]:
    """A finding as the page shows it: with the article quoted and the item it points at."""
    d = f.to_dict()
    d["quote"] = quote(f.citation) or ""
    d["source"] = source_title(f.citation)
    prefix = _ANCHORS.get(f.subject.kind)
    d["anchor"] = (
        f"{prefix}-{f.subject.id}"
        if prefix
        else ("case-file" if f.subject.kind == "case_file" else "")
    )
    return d
