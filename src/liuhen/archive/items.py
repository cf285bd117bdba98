"""What goes into a case file (案卷), item by item (件), and in which order.

Each item is one document of the 卷内目录: a text record, an approval form, a 送达回证, an
execution record or the statement of an AV record (001§11). Items are read from the case
bundle alone, so a case imported without files still gets its catalogue. The order is
data: ``CATEGORY_ORDER`` follows the usual order of a penalty case file (立案审批表 →
决定书 → documents served → 送达回证 → 听证 → evidence → execution → other, then the 副卷
of internal documents); ``chronological=True`` gives the order of the procedure instead,
as some provinces require (reference §2.3). Agencies pass their own list of slots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liuhen.domain import vocab

CATEGORY_ORDER: tuple[str, ...] = (
    # 正卷
    "approval:initiation",
    "initiation_approval",
    "penalty_decision",
    "no_penalty_decision",
    "on_the_spot_decision",
    "simple_procedure_record",
    "coercion_decision",
    "rectification_order",
    "rights_notice",
    "hearing_notice",
    "evidence_notice",
    "preservation_notice",
    "preservation_handling",
    "reminder",
    "acceptance_notice",
    "rejection_notice",
    "supplement_notice",
    "complaint_reply",
    "service_receipt",
    "service",
    "hearing_record",
    "inquiry_record",
    "inspection_record",
    "survey_record",
    "statement_record",
    "sampling_list",
    "preservation_list",
    "coercion_list",
    "expert_opinion",
    "av",
    "execution",
    "execution_statement",
    "enforcement_application",
    "re_inspection_opinion",
    "*",
    # 副卷
    "complaint_registration",
    "application_registration",
    "application_receipt",
    "investigation_report",
    "draft_decision",
    "approval:legal_review",
    "legal_review_opinion",
    "approval:expert_panel",
    "expert_minutes",
    "approval:collective_discussion",
    "collective_discussion_record",
    "penalty_opinion",
    "approval:decision",
    "decision_approval",
    "approval:coercion",
    "approval:preservation",
    "approval:*",
    "closing_report",
    "approval:closing",
    "closing_approval",
)
"""Slots in the order of a penalty case file; ``*`` takes any text record not named,
``approval:*`` any approval not named."""

INTERNAL: frozenset[str] = frozenset(CATEGORY_ORDER[CATEGORY_ORDER.index("*") + 1 :])
"""Slots of the 副卷: internal documents, not disclosed with the 正卷."""

APPROVAL_TITLES: dict[str, str] = {
    "initiation": "立案（程序启动）审批表",
    "coercion": "行政强制措施审批表",
    "preservation": "先行登记保存审批表",
    "legal_review": "法制审核意见书",
    "collective_discussion": "集体讨论记录",
    "expert_panel": "专家论证意见",
    "decision": "行政执法决定审批表",
    "closing": "结案审批表",
    "other": "内部审批表",
}

RECORD_LAYOUT_KINDS = frozenset(
    {"inquiry_record", "inspection_record", "survey_record", "statement_record", "hearing_record"}
)
"""笔录: their 责任者 in the catalogue are the officers who made them, not the agency."""


@dataclass(frozen=True)
class CaseFileOptions:
    """How a case file is put together; the defaults follow reference §2.3."""

    order: Sequence[str] = CATEGORY_ORDER
    internal: frozenset[str] = INTERNAL
    chronological: bool = False
    prepared_by: str = ""
    """立卷人 printed on the 备考表 (default: the case file's custodian, if recorded)."""


@dataclass
class Item:
    """One 件: what it is, where its pages come from, and (once laid out) its pages."""

    key: str
    kind: str  # text | approval | service | execution | av
    slot: str
    title: str
    number: str
    author: str
    date: datetime | None
    entity: Mapping[str, Any]
    internal: bool = False
    source: str = "generated"  # stored | rendered | generated
    first_page: int = 0
    last_page: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return self.last_page - self.first_page + 1 if self.first_page else 0


@dataclass(frozen=True)
class Appendix:
    """A document made about the case file rather than in the case (the signed 案卷评查表):
    bound into the 副卷 after the case's own documents and listed in the 卷内目录."""

    title: str
    pdf: bytes
    date: datetime | None = None
    author: str = ""


def appendix_item(a: Appendix, n: int) -> Item:
    return Item(
        key=f"appendix-{n}",
        kind="appendix",
        slot="appendix",
        title=a.title,
        number="",
        author=a.author,
        date=a.date,
        entity={"id": f"appendix-{n}", "pdf": a.pdf},
        internal=True,
        source="rendered",
    )


def parse_time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _names(bundle: Mapping[str, Any], officer_ids: Sequence[str]) -> str:
    by_id = {o["id"]: o["name"] for o in bundle.get("officers", [])}
    return "、".join(by_id[o] for o in officer_ids if o in by_id)


def _text_item(bundle: Mapping[str, Any], record: Mapping[str, Any], agency: str) -> Item:
    kind = record.get("kind", "other")
    title = record.get("title") or vocab.DOCUMENT_KINDS.get(kind, "文书")
    author = agency
    if kind in RECORD_LAYOUT_KINDS:
        author = _names(bundle, record.get("officer_ids", [])) or agency
    return Item(
        key=f"text:{record['id']}",
        kind="text",
        slot=kind,
        title=title,
        number=record.get("number", ""),
        author=author,
        date=parse_time(record.get("made_at")) or parse_time(record.get("ended_at")),
        entity=record,
    )


def _approval_item(approval: Mapping[str, Any], agency: str) -> Item:
    kind = approval.get("kind", "other")
    times = [t for s in approval.get("steps", []) if (t := parse_time(s.get("at")))]
    return Item(
        key=f"approval:{approval['id']}",
        kind="approval",
        slot=f"approval:{kind}",
        title=APPROVAL_TITLES.get(kind, APPROVAL_TITLES["other"]),
        number="",
        author=agency,
        date=max(times) if times else None,
        entity=approval,
    )


def _service_item(service: Mapping[str, Any], agency: str, titles: Mapping[str, str]) -> Item:
    served = [titles[d] for d in service.get("document_ids", []) if d in titles]
    mode = vocab.SERVICE_MODES.get(service.get("mode", ""), "送达")
    title = f"送达回证（{'、'.join(served) or '文书'}，{mode}）"
    return Item(
        key=f"service:{service['id']}",
        kind="service",
        slot="service",
        title=title,
        number="",
        author=agency,
        date=parse_time(service.get("served_at")),
        entity=service,
    )


def _execution_item(event: Mapping[str, Any], agency: str) -> Item:
    kind = vocab.EXECUTION_KINDS.get(event.get("kind", ""), "执行情况")
    return Item(
        key=f"execution:{event['id']}",
        kind="execution",
        slot="execution",
        title=f"执行情况记录（{kind}）",
        number="",
        author=agency,
        date=parse_time(event.get("at")),
        entity=event,
    )


def av_statement(bundle: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The AV statement of a record: the case file's own if it has one, else derived."""
    for statement in (bundle.get("case_file") or {}).get("av_statements", []):
        if statement.get("av_record_id") == record["id"]:
            return dict(statement)
    segments = record.get("segments", [])
    acts = {a["id"]: a for a in bundle.get("acts", [])}
    act = acts.get(record.get("act_id", ""), {})
    devices = {d["id"]: d for d in bundle.get("devices", [])}
    device = devices.get(record.get("device_id", ""), {})
    evidence = record.get("evidence") or {}
    return {
        "av_record_id": record["id"],
        "carrier": evidence.get("carrier", "location"),
        "location": "执法信息系统（留痕）" if segments else "",
        "method": evidence.get("method")
        or f"{vocab.DEVICE_KINDS.get(device.get('kind', ''), '记录设备')}录制",
        "made_at": evidence.get("made_at") or (segments[0]["start"] if segments else ""),
        "maker": evidence.get("maker") or _names(bundle, [record.get("officer_id", "")]),
        "object": evidence.get("object")
        or (f"{vocab.ACT_KINDS.get(act.get('kind', ''), '执法')}过程" if act else "执法过程"),
        "audio_content": evidence.get("transcript", "") or _content_summary(record, act),
    }


def _content_summary(record: Mapping[str, Any], act: Mapping[str, Any]) -> str:
    """What the recording shows, from what LiuHen knows of it (001§11 asks for a summary)."""
    parts = []
    if act:
        parts.append(f"记录{vocab.ACT_KINDS.get(act.get('kind', ''), '执法')}过程")
    elements = (record.get("opening_statement") or {}).get("elements", [])
    if elements:
        said = "、".join(vocab.OPENING_ELEMENTS.get(e, e) for e in elements)
        parts.append(f"开始时语音说明了{said}")
    stops = record.get("interruptions", [])
    if stops:
        parts.append(f"中止 {len(stops)} 次并作了说明")
    return "；".join(parts)


def _av_item(bundle: Mapping[str, Any], record: Mapping[str, Any]) -> Item:
    statement = av_statement(bundle, record)
    acts = {a["id"]: a for a in bundle.get("acts", [])}
    act = acts.get(record.get("act_id", ""), {})
    what = record.get("title") or (
        f"{vocab.ACT_KINDS.get(act.get('kind', ''), '执法')}音像记录" if act else "音像记录"
    )
    return Item(
        key=f"av:{record['id']}",
        kind="av",
        slot="av",
        title=f"音像资料说明（{what}）",
        number="",
        author=statement.get("maker") or "",
        date=parse_time(statement.get("made_at")),
        entity=record,
    )


def collect_items(bundle: Mapping[str, Any], options: CaseFileOptions) -> list[Item]:
    """Every item of the case file, in the order ``options`` asks for."""
    agency = bundle.get("agency", {}).get("name", "")
    texts = bundle.get("text_records", [])
    titles = {
        r["id"]: r.get("title") or vocab.DOCUMENT_KINDS.get(r.get("kind", ""), "") for r in texts
    }
    items = [_text_item(bundle, r, agency) for r in texts]
    items += [_approval_item(a, agency) for a in bundle.get("approvals", [])]
    items += [_service_item(s, agency, titles) for s in bundle.get("services", [])]
    items += [_execution_item(e, agency) for e in bundle.get("execution", [])]
    items += [_av_item(bundle, r) for r in bundle.get("av_records", [])]
    return order_items(items, options)


def _slot_index(item: Item, positions: Mapping[str, int]) -> int:
    if item.slot in positions:
        return positions[item.slot]
    if item.kind == "approval" and "approval:*" in positions:
        return positions["approval:*"]
    return positions.get("*", len(positions))


def order_items(items: list[Item], options: CaseFileOptions) -> list[Item]:
    """Sort by slot, then by date (undated last), keeping the bundle's order among equals."""

    def when(item: Item) -> tuple[int, float]:
        return (1, 0.0) if item.date is None else (0, item.date.timestamp())

    if options.chronological:
        ordered = sorted(items, key=when)
        for item in ordered:
            item.internal = False
        return ordered
    positions = {slot: i for i, slot in enumerate(options.order)}
    ordered = sorted(items, key=lambda it: (_slot_index(it, positions), *when(it)))
    for item in ordered:
        slot = (
            item.slot
            if item.slot in positions
            else ("approval:*" if item.kind == "approval" else "*")
        )
        item.internal = slot in options.internal
    ordered.sort(key=lambda it: it.internal)  # stable: 正卷 first, then 副卷
    return ordered
