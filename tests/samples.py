"""Realistic sample cases for tests and bench/bench_check.py, and helpers to vary them.

``general_case()`` is a township 一般程序 penalty case and ``inspection_case()`` a forestry
行政检查 → 责令限期整改 → 整改复查 case. Both are complete: they satisfy every shipped
profile, so a test can break exactly one thing with ``edit``/``drop``/``add`` and expect
exactly one rule to fire.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

from liuhen.domain.av import AVEvidence, AVRecord, OpeningStatement, Precheck, Retention, Segment
from liuhen.domain.case import (
    Act,
    Agency,
    Approval,
    ApprovalStep,
    AVStatement,
    Case,
    CaseFile,
    Device,
    ExecutionEvent,
    Officer,
    Party,
    Penalty,
    Receipt,
    Service,
    Signature,
    TextRecord,
)

CST = timezone(timedelta(hours=8))
T = TypeVar("T")


def at(text: str) -> datetime:
    """``"2026-09-14 09:00"`` in China Standard Time."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


OFFICERS = (
    Officer("O1", "张伟", "14010001", date(2028, 12, 31)),
    Officer("O2", "李娜", "14010002", date(2028, 12, 31)),
)
DEVICES = (
    Device("D1", "body_camera", False, "DSJ-001"),
    Device("D2", "body_camera", True, "DSJ-002"),
)
ALL_ELEMENTS = frozenset(
    {"time", "place", "officers", "reason", "target", "act", "stages", "notice"}
)
SIGNED = (
    Signature("officer", "张伟", "O1"),
    Signature("officer", "李娜", "O2"),
    Signature("party", "王某（法定代表人）"),
)


def av(
    av_id: str,
    start: datetime,
    minutes: int,
    *,
    act_id: str | None = None,
    service_id: str | None = None,
    stored_after: timedelta = timedelta(hours=4),
    evidence: bool = False,
) -> AVRecord:
    """One complete AV record: pre-checked, opening statement, one segment, stored in time."""
    end = start + timedelta(minutes=minutes)
    return AVRecord(
        id=av_id,
        device_id="D1",
        officer_id="O1",
        act_id=act_id,
        service_id=service_id,
        segments=(Segment(start, end, sha(av_id), f"{av_id}.mp4"),),
        stored_at=end + stored_after,
        custodian="陈静（音像管理员）",
        precheck=Precheck(
            start - timedelta(minutes=5), frozenset({"function", "battery", "storage"})
        ),
        opening_statement=OpeningStatement(start, ALL_ELEMENTS),
        evidence=AVEvidence("执法记录仪同步录制", end, "张伟", "询问过程和当事人陈述", "disc", True)
        if evidence
        else None,
        retention=Retention("case"),
    )


def step(role: str, name: str, when: str, position: str, opinion: str) -> ApprovalStep:
    return ApprovalStep(role, name, at(when), position, opinion=opinion)


def _statements(records: tuple[AVRecord, ...]) -> tuple[AVStatement, ...]:
    return tuple(
        AVStatement(
            r.id,
            "disc",
            "执法信息系统/2026/",
            "执法记录仪录制",
            r.ended_at,
            "张伟",
            "执法过程",
            "见笔录",
        )
        for r in records
    )


def general_case() -> Case:
    """乡镇一般程序：现场检查 → 立案 → 询问 → 告知 → 审核 → 决定 → 送达 → 缴款 → 归档."""
    party = Party(
        "organisation", "某木材加工厂", "91140100MA0XXXXX1Y", "某镇东街1号", "0350-1234567", "王某"
    )
    pf = {"party_name": party.name, "party_id_number": party.id_number}
    acts = (
        Act(
            "A1",
            "inspection",
            at("2026-09-14 09:00"),
            at("2026-09-14 09:40"),
            "某镇东街1号厂区",
            ("O1", "O2"),
            True,
        ),
        Act(
            "A2",
            "inquiry",
            at("2026-09-15 09:00"),
            at("2026-09-15 09:50"),
            "镇综合执法办公室",
            ("O1", "O2"),
            True,
        ),
    )
    records = (
        TextRecord(
            "T1",
            "inspection_record",
            at("2026-09-14 09:40"),
            "A1",
            "某镇检〔2026〕31号",
            started_at=at("2026-09-14 09:00"),
            ended_at=at("2026-09-14 09:40"),
            officer_ids=("O1", "O2"),
            certificates_shown=True,
            fields={**pf, "place": "厂区", "findings": "未经批准堆放木材"},
            signatures=SIGNED,
        ),
        TextRecord(
            "T2",
            "inquiry_record",
            at("2026-09-15 09:50"),
            "A2",
            started_at=at("2026-09-15 09:00"),
            ended_at=at("2026-09-15 09:50"),
            officer_ids=("O1", "O2"),
            certificates_shown=True,
            fields={**pf, "recording_notice": True, "content": "问答记录"},
            signatures=SIGNED,
        ),
        TextRecord(
            "T3",
            "rights_notice",
            at("2026-09-16 10:00"),
            number="某镇罚告〔2026〕12号",
            fields={
                **pf,
                "facts": "未经批准堆放木材",
                "proposed_penalty": "罚款五千元",
                "rights": ["statement", "defence", "recusal", "hearing"],
                "notice_method": "书面告知，直接送达",
            },
            sealed=True,
        ),
        TextRecord(
            "T4",
            "statement_record",
            at("2026-09-18 15:00"),
            fields={**pf, "statement": "称已开始整改", "review": "不采纳，理由见复核意见"},
            signatures=SIGNED,
        ),
        TextRecord(
            "T5",
            "draft_decision",
            at("2026-09-21 10:00"),
            fields={
                "drafter": "张伟",
                "reviewer": "综合执法办公室主任",
                "legal_basis": "《某条例》第十条",
                "evidence": "现场检查笔录、询问笔录、照片",
                "factors": "首次违法，已部分整改",
            },
        ),
        TextRecord(
            "T6",
            "penalty_opinion",
            at("2026-09-21 11:00"),
            fields={
                "facts": "未经批准堆放木材",
                "legal_basis": "《某条例》第十条",
                "proposed_penalty": "罚款五千元",
            },
        ),
        TextRecord(
            "T7",
            "penalty_decision",
            at("2026-09-24 10:00"),
            number="某镇罚决〔2026〕12号",
            sealed=True,
            fields={
                **pf,
                "party_address": party.address or "",
                "facts": "未经批准堆放木材",
                "evidence": "现场检查笔录等",
                "penalty_kind": "罚款",
                "legal_basis": "《某条例》第十条",
                "performance": "十五日内缴至指定银行",
                "remedy_channels": "六十日内申请行政复议或六个月内提起行政诉讼",
                "agency_name": "某镇人民政府",
                "decision_date": "2026-09-24",
                "reasons": "违法事实清楚，考虑首次违法从轻",
            },
        ),
    )
    services = (
        Service(
            "S1",
            "direct",
            ("T3",),
            at("2026-09-16 11:00"),
            "王某",
            party.address or "",
            Receipt(True, True, "王某", "法定代表人", date(2026, 9, 16)),
            av_record_ids=("AV3",),
        ),
        Service(
            "S2",
            "direct",
            ("T7",),
            at("2026-09-24 15:00"),
            "王某",
            party.address or "",
            Receipt(True, True, "王某", "法定代表人", date(2026, 9, 24)),
            av_record_ids=("AV4",),
        ),
    )
    avs = (
        av("AV1", at("2026-09-14 09:00"), 40, act_id="A1"),
        av("AV2", at("2026-09-15 09:00"), 50, act_id="A2", evidence=True),
        av("AV3", at("2026-09-16 10:55"), 10, service_id="S1"),
        av("AV4", at("2026-09-24 14:55"), 10, service_id="S2"),
    )
    approvals = (
        Approval(
            "P1",
            "initiation",
            (
                step("handler", "张伟", "2026-09-14 14:00", "officer", "建议立案调查"),
                step("reviewer", "综合执法办公室主任", "2026-09-14 14:30", "unit_head", "同意立案"),
                step("reviewer", "赵敏", "2026-09-14 15:00", "legal_office_head", "符合立案条件"),
                step("approver", "王强", "2026-09-14 15:30", "section_head", "同意"),
                step("approver", "刘刚", "2026-09-14 16:00", "principal_head", "同意立案"),
            ),
            fields={
                "reason": "现场检查发现未经批准堆放木材",
                "party": "某木材加工厂，法定代表人王某",
            },
        ),
        Approval(
            "P2",
            "legal_review",
            (
                step("handler", "张伟", "2026-09-22 09:00", "officer", "提请法制审核"),
                step(
                    "reviewer",
                    "赵敏",
                    "2026-09-22 15:00",
                    "legal_reviewer",
                    "事实清楚，程序合法，建议按拟定意见处罚",
                ),
                step("approver", "赵敏", "2026-09-22 16:00", "legal_office_head", "同意"),
            ),
        ),
        Approval(
            "P3",
            "decision",
            (
                step("handler", "张伟", "2026-09-23 09:00", "officer", "拟罚款五千元"),
                step("reviewer", "综合执法办公室主任", "2026-09-23 10:00", "unit_head", "同意"),
                step("approver", "刘刚", "2026-09-23 15:00", "principal_head", "同意罚款五千元"),
            ),
        ),
    )
    return Case(
        id="C-2026-012",
        agency=Agency("某镇人民政府", "township-legal-office", "综合行政执法办公室"),
        procedure="general",
        party=party,
        opened_at=at("2026-09-14 09:00"),
        number="某镇罚立〔2026〕12号",
        title="某木材加工厂未经批准堆放木材案",
        cause="未经批准堆放木材",
        ended_at=at("2026-10-09 10:00"),
        outcome="penalty",
        officers=OFFICERS,
        devices=DEVICES,
        acts=acts,
        text_records=records,
        av_records=avs,
        approvals=approvals,
        services=services,
        execution=(
            ExecutionEvent(
                "E1",
                "fine_paid",
                at("2026-10-08 10:00"),
                fields={"bank_receipt": True, "amount": 5000},
            ),
        ),
        case_file=CaseFile(
            at("2026-10-20 10:00"),
            at("2026-10-21 10:00"),
            "陈静（档案管理员）",
            Retention("permanent"),
            tuple(r.id for r in records),
            _statements(avs),
        ),
    )


def inspection_case() -> Case:
    """林业行政检查：现场检查发现问题 → 责令限期整改 → 按期整改复查."""
    party = Party(
        "organisation", "某林场采伐作业队", "91140000MA0YYYYY2Z", "某县某乡某村", None, "李某"
    )
    pf = {"party_name": party.name, "party_id_number": party.id_number}
    acts = (
        Act(
            "A1",
            "inspection",
            at("2026-06-02 09:30"),
            at("2026-06-02 10:30"),
            "某林班作业区",
            ("O1", "O2"),
            True,
            flags=frozenset({"problems_found"}),
        ),
        Act(
            "A2",
            "re_inspection",
            at("2026-06-16 09:30"),
            at("2026-06-16 10:00"),
            "某林班作业区",
            ("O1", "O2"),
            True,
        ),
    )
    records = (
        TextRecord(
            "T1",
            "inspection_record",
            at("2026-06-02 10:30"),
            "A1",
            started_at=at("2026-06-02 09:30"),
            ended_at=at("2026-06-02 10:30"),
            officer_ids=("O1", "O2"),
            certificates_shown=True,
            fields={**pf, "findings": "作业区未设置防火隔离带"},
            signatures=SIGNED,
        ),
        TextRecord(
            "T2",
            "rectification_order",
            at("2026-06-02 10:40"),
            "A1",
            number="晋林整〔2026〕7号",
            fields={
                **pf,
                "problems": "未设置防火隔离带",
                "deadline": "2026-06-16",
                "requirements": "设置隔离带",
            },
            signatures=SIGNED,
            sealed=True,
        ),
        TextRecord(
            "T3",
            "re_inspection_opinion",
            at("2026-06-16 10:00"),
            "A2",
            officer_ids=("O1", "O2"),
            certificates_shown=True,
            fields={**pf, "rectification_status": "已设置隔离带", "conclusion": "整改合格"},
            signatures=SIGNED,
        ),
    )
    avs = (
        av("AV1", at("2026-06-02 09:30"), 60, act_id="A1"),
        av("AV2", at("2026-06-16 09:30"), 30, act_id="A2"),
        av("AV3", at("2026-06-02 10:40"), 6, service_id="S1"),
    )
    return Case(
        id="C-2026-L07",
        agency=Agency("山西省林业和草原局", "shanxi-forestry", "森林资源管理处"),
        procedure="inspection",
        party=party,
        opened_at=at("2026-06-02 09:30"),
        number="晋林检〔2026〕7号",
        title="某林场采伐作业队防火隔离带检查",
        cause="森林防火检查",
        ended_at=at("2026-06-16 10:00"),
        outcome="rectified",
        officers=OFFICERS,
        devices=DEVICES,
        acts=acts,
        text_records=records,
        av_records=avs,
        services=(
            Service(
                "S1",
                "direct",
                ("T2",),
                at("2026-06-02 10:45"),
                "李某",
                "",
                Receipt(True, True, "李某", "负责人", date(2026, 6, 2)),
                av_record_ids=("AV3",),
            ),
        ),
        case_file=CaseFile(
            at("2026-06-26 10:00"),
            at("2026-06-27 10:00"),
            "陈静（档案管理员）",
            Retention("30y"),
            tuple(r.id for r in records),
            _statements(avs),
        ),
    )


def simple_case() -> Case:
    """简易程序当场处罚：警告或小额罚款，当场交付决定书."""
    party = Party("person", "赵某", "140102199001011234", "某镇西街8号")
    act = Act(
        "A1",
        "on_the_spot_penalty",
        at("2026-10-12 15:00"),
        at("2026-10-12 15:20"),
        "某镇集贸市场",
        ("O1", "O2"),
        True,
    )
    decision = TextRecord(
        "T1",
        "on_the_spot_decision",
        at("2026-10-12 15:15"),
        "A1",
        number="某镇当罚〔2026〕0031号",
        officer_ids=("O1", "O2"),
        certificates_shown=True,
        fields={
            "party_name": party.name,
            "party_id_number": party.id_number,
            "violation": "占道经营",
            "penalty_kind": "罚款",
            "legal_basis": "《某条例》第八条",
            "amount": "100元",
            "time": "2026-10-12 15:15",
            "place": "某镇集贸市场",
            "remedy_channels": "六十日内申请行政复议或六个月内提起行政诉讼",
            "agency_name": "某镇人民政府",
            "fact_basis": "违法事实确凿",
            "steps": "出示证件、告知、听取陈述申辩、当场交付",
            "statement": "当事人无异议",
            "statement_review": "无需复核",
            "filing": "2026-10-13 报镇政府备案",
        },
        signatures=(Signature("officer", "张伟", "O1"), Signature("party", "赵某")),
    )
    avs = (
        av("AV1", at("2026-10-12 15:00"), 20, act_id="A1"),
        av("AV2", at("2026-10-12 15:16"), 4, service_id="S1"),
    )
    return Case(
        id="C-2026-S31",
        agency=Agency("某镇人民政府", "township-legal-office"),
        procedure="simple",
        party=party,
        opened_at=at("2026-10-12 15:00"),
        number="某镇当罚〔2026〕0031号",
        title="赵某占道经营案",
        cause="占道经营",
        ended_at=at("2026-10-12 16:00"),
        outcome="penalty",
        penalty=Penalty("fine", 100),
        officers=OFFICERS,
        devices=DEVICES,
        acts=(act,),
        text_records=(decision,),
        av_records=avs,
        services=(
            Service(
                "S1",
                "direct",
                ("T1",),
                at("2026-10-12 15:18"),
                "赵某",
                "",
                Receipt(True, True, "赵某", "本人", date(2026, 10, 12)),
                av_record_ids=("AV2",),
            ),
        ),
        execution=(
            ExecutionEvent(
                "E1", "fine_paid", at("2026-10-12 16:00"), fields={"bank_receipt": True}
            ),
        ),
        case_file=CaseFile(
            at("2026-10-15 10:00"),
            at("2026-10-15 11:00"),
            "陈静（档案管理员）",
            Retention("10y"),
            ("T1",),
            _statements(avs),
        ),
    )


def coercion_case() -> Case:
    """行政强制措施：经负责人批准后查封设备，制作并当场交付决定书和查封清单."""
    party = Party("organisation", "某石料厂", "91140100MA0ZZZZZ3X", "某镇北山", None, "孙某")
    act = Act(
        "A1",
        "seal_up",
        at("2026-08-05 10:00"),
        at("2026-08-05 11:00"),
        "某石料厂破碎车间",
        ("O1", "O2"),
        True,
    )
    record = TextRecord(
        "T1",
        "inspection_record",
        at("2026-08-05 11:00"),
        "A1",
        started_at=at("2026-08-05 10:00"),
        ended_at=at("2026-08-05 11:00"),
        officer_ids=("O1", "O2"),
        certificates_shown=True,
        fields={"party_name": party.name, "findings": "未经许可开采石料"},
        signatures=SIGNED,
    )
    decision = TextRecord(
        "T2",
        "coercion_decision",
        at("2026-08-05 10:50"),
        "A1",
        number="某镇强决〔2026〕3号",
        sealed=True,
        fields={
            "party_name": party.name,
            "party_address": party.address,
            "reason": "涉嫌非法开采，依据某条例，期限三十日",
            "items": "破碎机两台",
            "remedy_channels": "六十日内申请行政复议或六个月内提起行政诉讼",
            "agency_name": "某镇人民政府",
        },
        signatures=SIGNED,
    )
    listing = TextRecord(
        "T3",
        "coercion_list",
        at("2026-08-05 10:55"),
        "A1",
        fields={"party_name": party.name, "items": "破碎机两台", "storage_place": "就地封存"},
        signatures=SIGNED,
    )
    avs = (
        av("AV1", at("2026-08-05 10:00"), 60, act_id="A1"),
        av("AV2", at("2026-08-05 10:52"), 5, service_id="S1"),
    )
    approval = Approval(
        "P1",
        "coercion",
        (
            step("handler", "张伟", "2026-08-05 08:30", "officer", "建议查封"),
            step("reviewer", "综合执法办公室主任", "2026-08-05 08:45", "unit_head", "同意"),
            step("approver", "刘刚", "2026-08-05 09:00", "head", "同意查封"),
        ),
    )
    return Case(
        id="C-2026-Q03",
        agency=Agency("某镇人民政府", "shanxi-township"),
        procedure="coercion",
        party=party,
        opened_at=at("2026-08-05 08:30"),
        number="某镇强〔2026〕3号",
        title="某石料厂涉嫌非法开采查封案",
        ended_at=at("2026-08-20 10:00"),
        outcome="closed",
        officers=OFFICERS,
        devices=DEVICES,
        acts=(act,),
        text_records=(record, decision, listing),
        av_records=avs,
        approvals=(approval,),
        services=(
            Service(
                "S1",
                "direct",
                ("T2",),
                at("2026-08-05 10:55"),
                "孙某",
                "",
                Receipt(True, True, "孙某", "负责人", date(2026, 8, 5)),
                av_record_ids=("AV2",),
            ),
        ),
        case_file=CaseFile(
            at("2026-08-25 10:00"),
            at("2026-08-25 11:00"),
            "陈静（档案管理员）",
            Retention("30y"),
            ("T1", "T2", "T3"),
            _statements(avs),
        ),
    )


SAMPLES = {
    "general": general_case,
    "inspection": inspection_case,
    "simple": simple_case,
    "coercion": coercion_case,
}


def make_case(kind: str = "general", **overrides: Any) -> Case:
    """A complete sample case of ``kind`` with top-level fields replaced by ``overrides``."""
    return dataclasses.replace(SAMPLES[kind](), **overrides)


# -- varying a case ----------------------------------------------------------------------


def _items(case: Case, collection: str) -> tuple[Any, ...]:
    items: tuple[Any, ...] = getattr(case, collection)
    return items


def edit(case: Case, collection: str, item_id: str, **changes: Any) -> Case:
    """``case`` with the item ``item_id`` of ``collection`` (e.g. ``"acts"``) changed."""
    items = _items(case, collection)
    if not any(i.id == item_id for i in items):
        raise KeyError(f"{collection} has no {item_id}")
    changed: dict[str, Any] = {
        collection: tuple(
            dataclasses.replace(i, **changes) if i.id == item_id else i for i in items
        )
    }
    return dataclasses.replace(case, **changed)


def drop(case: Case, collection: str, *item_ids: str) -> Case:
    items = _items(case, collection)
    kept: dict[str, Any] = {collection: tuple(i for i in items if i.id not in item_ids)}
    return dataclasses.replace(case, **kept)


def add(case: Case, collection: str, *items: Any) -> Case:
    more: dict[str, Any] = {collection: _items(case, collection) + items}
    return dataclasses.replace(case, **more)


def change(obj: T, **changes: Any) -> T:
    """``dataclasses.replace`` under a shorter name."""
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
