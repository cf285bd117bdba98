"""Every rule of every shipped profile has a case that breaks it and one that satisfies it.

Each scenario names a rule id, a profile, a violating case and a satisfying case (both
built from the complete sample cases by changing one thing). ``test_every_rule_has_scenarios``
fails when a profile gains a rule without one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from tests.samples import (
    ALL_ELEMENTS,
    SIGNED,
    add,
    at,
    av,
    change,
    drop,
    edit,
    make_case,
    sha,
    step,
)

from liuhen.domain.av import AVEvidence, Interruption, OpeningStatement, Retention, Segment
from liuhen.domain.case import (
    AccessDecision,
    AccessRequest,
    Act,
    Application,
    Approval,
    AVExemption,
    Complaint,
    DeviceEvent,
    ElectronicServiceConsent,
    ExecutionEvent,
    LienEvidence,
    MailEvidence,
    Penalty,
    PublicNoticeEvidence,
    Receipt,
    Refusal,
    Service,
    Signature,
    TextRecord,
)
from liuhen.rules import list_profiles

G = "general"


def g(**kw):
    return make_case(G, **kw)


def insp(**kw):
    return make_case("inspection", **kw)


def simple(**kw):
    return make_case("simple", **kw)


def coercion(**kw):
    return make_case("coercion", **kw)


def device_with(*events):
    """The sample devices, body camera D1 with ``events`` (explosion-proof D2 unchanged)."""
    from tests.samples import DEVICES

    from liuhen.domain.case import Device

    return (Device("D1", "body_camera", False, "DSJ-001", events=events), DEVICES[1])


def rec(case, rid):
    return next(r for r in case.text_records if r.id == rid)


def set_fields(case, rid, **fields):
    return edit(case, "text_records", rid, fields={**rec(case, rid).fields, **fields})


def without_field(case, rid, name):
    fields = dict(rec(case, rid).fields)
    del fields[name]
    return edit(case, "text_records", rid, fields=fields)


def with_preservation(*, approved: bool = True, handled_days: int = 3, form: bool = True):
    c = g()
    c = add(
        c,
        "acts",
        Act(
            "A3",
            "preservation",
            at("2026-09-15 10:00"),
            at("2026-09-15 10:30"),
            "厂区",
            ("O1", "O2"),
            True,
        ),
    )
    c = add(c, "av_records", av("AV5", at("2026-09-15 10:00"), 30, act_id="A3"))
    fields = {
        "reason": "证据可能灭失",
        "object": "木材三百立方米",
        "form": "先行登记保存证据通知书",
    }
    if not form:
        del fields["form"]
    c = add(
        c,
        "text_records",
        TextRecord(
            "T8",
            "preservation_notice",
            at("2026-09-15 10:30"),
            "A3",
            fields=fields,
            signatures=SIGNED,
        ),
        TextRecord(
            "T9", "preservation_handling", at("2026-09-15 10:00") + timedelta(days=handled_days)
        ),
    )
    if approved:
        c = add(
            c,
            "approvals",
            Approval(
                "P4",
                "preservation",
                (
                    step("handler", "张伟", "2026-09-15 09:30", "officer", "建议先行登记保存"),
                    step("reviewer", "主任", "2026-09-15 09:40", "unit_head", "同意"),
                    step("approver", "刘刚", "2026-09-15 09:50", "head", "同意"),
                ),
            ),
        )
    return c


def with_enforcement(
    *,
    applied: str = "2026-11-16 10:00",
    application_doc: bool = True,
    result: bool = True,
    statement_reviewed: bool | None = None,
):
    c = g(ended_at=at("2026-11-21 10:00"))
    c = drop(c, "execution", "E1")
    c = add(
        c,
        "text_records",
        TextRecord(
            "T8",
            "reminder",
            at("2026-10-26 09:00"),
            sealed=True,
            fields={
                "deadline": "十日内",
                "method": "缴至指定银行",
                "amount": "五千元，银行转账",
                "statement_rights": "可陈述申辩",
            },
        ),
    )
    c = add(c, "av_records", av("AV5", at("2026-10-26 09:55"), 6, service_id="S3"))
    c = add(
        c,
        "services",
        Service(
            "S3",
            "direct",
            ("T8",),
            at("2026-10-26 10:00"),
            "王某",
            "",
            Receipt(True, True, "王某", "法定代表人", date(2026, 10, 26)),
            av_record_ids=("AV5",),
        ),
    )
    c = add(c, "execution", ExecutionEvent("E2", "court_application", at(applied)))
    if application_doc:
        c = add(
            c,
            "text_records",
            TextRecord(
                "T9",
                "enforcement_application",
                at(applied),
                sealed=True,
                fields={
                    "decision": "某镇罚决〔2026〕12号及事实理由依据",
                    "party_opinion": "当事人未陈述，已催告",
                    "object": "罚款五千元",
                },
            ),
        )
    if result:
        c = add(c, "execution", ExecutionEvent("E3", "court_result", at("2026-11-20 10:00")))
    if statement_reviewed is not None:
        c = add(c, "execution", ExecutionEvent("E4", "party_statement", at("2026-10-28 10:00")))
        if statement_reviewed:
            c = add(
                c, "execution", ExecutionEvent("E5", "statement_review", at("2026-10-29 10:00"))
            )
    return c


def with_service(mode: str, **kw):
    c = g()
    return add(c, "services", Service("S9", mode, ("T3",), at("2026-09-17 10:00"), "王某", **kw))


def with_consent(case, when: str):
    """``case`` whose party agreed in writing to electronic service at ``when`` (§61 ¶2)."""
    consent = ElectronicServiceConsent(at(when), "wang@example.cn")
    return change(case, party=change(case.party, electronic_service=consent))


def with_access(
    kind: str, position: str, *, authorised: bool = False, records=("T1",), confidential=False
):
    c = g()
    if confidential:
        c = edit(c, "text_records", "T1", confidential=True)
    decision = AccessDecision("granted", "某人", position, authorised, at("2026-10-30 10:00"))
    return add(
        c,
        "access_requests",
        AccessRequest("R1", kind, at("2026-10-29 10:00"), "王某", records, decision),
    )


def with_collective(fields: bool = True):
    c = g(flags=frozenset({"complex_or_major"}))
    data = (
        {
            "participants": "刘刚、王强、赵敏",
            "discussion": "一致同意",
            "conclusion": "罚款五千元",
            "reasons": "情节较重",
        }
        if fields
        else {}
    )
    return add(
        c,
        "approvals",
        Approval(
            "P5",
            "collective_discussion",
            (
                step("handler", "张伟", "2026-09-23 09:00", "officer", "汇报案情"),
                step(
                    "approver",
                    "局长办公会",
                    "2026-09-23 11:00",
                    "collective",
                    "集体讨论决定罚款五千元",
                ),
            ),
            fields=data,
        ),
    )


def application(*, supplement_notice: bool = True):
    docs = [
        TextRecord(f"T{i}", k, at("2026-10-10 10:00"))
        for i, k in enumerate(
            ["application_registration", "application_receipt", "acceptance_notice"]
            + (["supplement_notice"] if supplement_notice else [])
        )
    ]
    act = Act(
        "A1",
        "application_acceptance",
        at("2026-10-10 09:50"),
        at("2026-10-10 10:10"),
        "便民服务大厅",
        ("O1", "O2"),
        True,
    )
    return g(
        procedure="application",
        application=Application(accepted=True, needs_supplement=True),
        outcome="granted",
        acts=(act,),
        text_records=tuple(docs),
        av_records=(av("AV1", at("2026-10-10 09:50"), 20, act_id="A1"),),
        approvals=(),
        services=(),
        execution=(),
    )


def complaint(reply: bool):
    docs = [TextRecord("T1", "complaint_registration", at("2026-10-10 10:00"))]
    if reply:
        docs.append(
            TextRecord(
                "T2",
                "complaint_reply",
                at("2026-10-15 10:00"),
                fields={"content": "经审查不予启动，已电话告知"},
            )
        )
    return g(
        procedure="complaint",
        complaint=Complaint(real_name=True, pursued=False, complainant="钱某"),
        outcome="not_opened",
        acts=(),
        text_records=tuple(docs),
        av_records=(),
        approvals=(),
        services=(),
        execution=(),
    )


def gap_case(explained: bool, cause: str | None = None):
    """AV1 stops 09:15–09:20; ``explained`` by voice on restart ("电量不足更换电池"), with the
    coded ``cause`` (004§9 wants one: free text does not show the stop was technical)."""
    c = edit(
        g(),
        "av_records",
        "AV1",
        segments=(
            Segment(at("2026-09-14 09:00"), at("2026-09-14 09:15"), sha("s1")),
            Segment(at("2026-09-14 09:20"), at("2026-09-14 09:40"), sha("s2")),
        ),
    )
    if explained:
        c = edit(
            c,
            "av_records",
            "AV1",
            interruptions=(
                Interruption(
                    at("2026-09-14 09:15"),
                    "电量不足更换电池",
                    at("2026-09-14 09:20"),
                    "voice",
                    cause=cause,
                ),
            ),
        )
    return c


def advised_case(*, text: bool):
    """A further on-site inspection (A9) without audio-video: 000§10 leaves it to
    circumstances and 000§6 lets a text record suffice, so only a bare act draws advice."""
    c = add(
        g(),
        "acts",
        Act(
            "A9",
            "inspection",
            at("2026-09-16 10:00"),
            at("2026-09-16 10:30"),
            "厂区",
            ("O1", "O2"),
            True,
        ),
    )
    if text:
        c = add(
            c,
            "text_records",
            TextRecord("T9", "inspection_record", at("2026-09-16 10:30"), "A9", signatures=SIGNED),
        )
    return c


@dataclass(frozen=True)
class Scenario:
    rule_id: str
    profile: str
    violating: Callable[[], object]
    satisfying: Callable[[], object]
    citation: str | None = None
    now: str = "2026-11-23 09:00"


S = Scenario
SCENARIOS = [
    S(
        "case-documents",
        "shanxi-township",
        lambda: drop(g(), "approvals", "P3"),
        g,
        "行政处罚法§57",
    ),
    S("performance-recorded", "township-legal-office", lambda: g(execution=()), g, "002§28"),
    S(
        "date-order",
        "shanxi-township",
        lambda: edit(g(), "text_records", "T3", made_at=at("2026-09-25 10:00")),
        g,
        "行政处罚法§44",
    ),
    S(
        "officers-certified",
        "shanxi-forestry",
        lambda: edit(g(), "acts", "A1", officer_ids=("O1",)),
        g,
        "行政处罚法§42",
    ),
    S(
        "certificates-shown",
        "shanxi-township",
        lambda: edit(
            edit(g(), "acts", "A1", certificates_shown=None),
            "text_records",
            "T1",
            certificates_shown=False,
        ),
        g,
    ),
    S("act-documents", "shanxi-forestry", lambda: drop(g(), "text_records", "T2"), g, "004§17"),
    S(
        "record-signatures",
        "township-legal-office",
        lambda: edit(g(), "text_records", "T2", signatures=SIGNED[:2]),
        lambda: edit(
            g(),
            "text_records",
            "T2",
            signatures=SIGNED[:2],
            refusals=(Refusal("party", "对笔录内容有异议，拒绝签字"),),
        ),
        "002§13",
    ),
    S(
        "decision-items",
        "shanxi-township",
        lambda: without_field(g(), "T7", "remedy_channels"),
        g,
        "行政处罚法§59",
    ),
    S(
        "spot-decision-items",
        "shanxi-township",
        lambda: without_field(simple(), "T1", "amount"),
        simple,
        "行政处罚法§52",
    ),
    S(
        "spot-decision-signatures",
        "shanxi-township",
        lambda: edit(simple(), "text_records", "T1", signatures=SIGNED[:1]),
        simple,
    ),
    S(
        "simple-procedure-limit",
        "pengyang-bureau",
        lambda: simple(penalty=change(simple().penalty, amount=500)),
        simple,
        "行政处罚法§51",
    ),
    S(
        "rights-notified",
        "township-legal-office",
        lambda: set_fields(g(), "T3", rights=["statement"]),
        g,
        "002§12",
    ),
    S(
        "statement-reviewed",
        "shanxi-township",
        lambda: without_field(g(), "T4", "review"),
        g,
        "行政处罚法§45",
    ),
    S(
        "initiation-approval",
        "shanxi-forestry",
        lambda: edit(
            g(),
            "approvals",
            "P1",
            steps=tuple(s for s in g().approvals[0].steps if s.position != "principal_head"),
        ),
        g,
        "004§16",
    ),
    S(
        "coercion-approval",
        "shanxi-township",
        lambda: coercion(approvals=()),
        coercion,
        "行政强制法§18",
    ),
    S(
        "preservation-approval",
        "shanxi-township",
        lambda: with_preservation(approved=False),
        with_preservation,
        "行政处罚法§56",
    ),
    S(
        "preservation-handled",
        "shanxi-township",
        lambda: with_preservation(handled_days=14),
        with_preservation,
        "行政处罚法§56",
    ),
    S(
        "legal-review",
        "shanxi-township",
        lambda: drop(g(flags=frozenset({"complex_legal_relations"})), "approvals", "P2"),
        lambda: g(flags=frozenset({"complex_legal_relations"})),
        "行政处罚法§58",
    ),
    S(
        "collective-discussion",
        "shanxi-forestry",
        lambda: g(flags=frozenset({"complex_or_major"})),
        with_collective,
        "004§22",
    ),
    S(
        "head-approval",
        "shanxi-forestry",
        lambda: edit(
            g(),
            "approvals",
            "P3",
            steps=g().approvals[2].steps[:2]
            + (step("approver", "王强", "2026-09-23 15:00", "section_head", "同意"),),
        ),
        g,
        "004§21",
    ),
    S(
        "decision-in-90-days",
        "shanxi-township",
        lambda: edit(g(), "text_records", "T7", made_at=at("2026-12-20 10:00")),
        g,
        "行政处罚法§60",
        now="2026-12-25 09:00",
    ),
    S(
        "documents-served",
        "shanxi-township",
        lambda: drop(g(), "services", "S2"),
        g,
        "行政处罚法§61",
    ),
    S(
        "service-direct",
        "township-legal-office",
        lambda: edit(g(), "services", "S2", receipt=Receipt(server_signed=True)),
        g,
        "002§23",
    ),
    S(
        "service-mail",
        "township-legal-office",
        lambda: with_service("mail", mail=MailEvidence("registered", "XA123", True, True, True)),
        lambda: with_service("mail", mail=MailEvidence("ems", "EA123", True, True, True)),
        "002§24",
    ),
    S(
        "service-lien",
        "shanxi-forestry",
        lambda: with_service(
            "lien",
            av_record_ids=("AV3",),
            receipt=Receipt(server_signed=True),
            lien=LienEvidence("拒绝签收", date(2026, 9, 17), "村委会主任", False, True),
        ),
        lambda: with_service(
            "lien",
            av_record_ids=("AV3",),
            receipt=Receipt(server_signed=True),
            lien=LienEvidence("拒绝签收", date(2026, 9, 17), "村委会主任", True, True),
        ),
        "004§27",
    ),
    S(
        "service-public-notice",
        "shanxi-township",
        lambda: with_service("public_notice", public_notice=PublicNoticeEvidence("", "政府公告栏")),
        lambda: with_service(
            "public_notice",
            public_notice=PublicNoticeEvidence(
                "下落不明，直接、邮寄均无法送达", "政府公告栏", at("2026-09-17 10:00"), True, True
            ),
        ),
        "民事诉讼法§95",
    ),
    S(
        "service-entrusted",
        "township-legal-office",
        lambda: with_service("entrusted", receipt=Receipt(True, True)),
        lambda: with_service(
            "entrusted",
            receipt=Receipt(True, True),
            handover_reason="受送达人在外地，委托当地乡镇送达",
        ),
        "002§26",
    ),
    S(
        "service-transferred",
        "shanxi-forestry",
        lambda: with_service("transferred", handover_reason="受送达人服刑"),
        lambda: with_service(
            "transferred", handover_reason="受送达人服刑", receipt=Receipt(True, True)
        ),
        "004§28",
    ),
    S(
        "reminder-items",
        "shanxi-township",
        lambda: without_field(with_enforcement(), "T8", "statement_rights"),
        with_enforcement,
        "行政强制法§35",
    ),
    S(
        "reminder-before-court",
        "township-legal-office",
        lambda: with_enforcement(applied="2026-11-02 10:00"),
        with_enforcement,
        "002§29",
    ),
    S(
        "reminder-statement-reviewed",
        "township-legal-office",
        lambda: with_enforcement(statement_reviewed=False),
        lambda: with_enforcement(statement_reviewed=True),
        "002§29",
    ),
    S(
        "enforcement-application-items",
        "shanxi-township",
        lambda: edit(with_enforcement(), "text_records", "T9", sealed=False),
        with_enforcement,
        "行政强制法§55",
    ),
    S(
        "court-enforcement-recorded",
        "shanxi-forestry",
        lambda: with_enforcement(application_doc=False),
        with_enforcement,
        "004§32",
    ),
    S(
        "coercion-decision-items",
        "shanxi-township",
        lambda: without_field(coercion(), "T2", "items"),
        coercion,
        "行政强制法§24",
    ),
    S(
        "party-consistency",
        "shanxi-township",
        lambda: set_fields(g(), "T1", party_name="某木材厂"),
        lambda: set_fields(g(), "T1", party_name="某木材加工厂 "),
        "行政处罚法§59",
    ),
    S(
        "av-evidence-statement",
        "shanxi-township",
        lambda: edit(
            g(),
            "av_records",
            "AV2",
            evidence=AVEvidence("录制", at("2026-09-15 09:50"), "", "询问过程"),
        ),
        g,
    ),
    S(
        "case-file-retention",
        "shanxi-township",
        lambda: g(case_file=change(g().case_file, retention=None)),
        g,
    ),
    S(
        "av-required",
        "shanxi-township",
        lambda: drop(coercion(), "av_records", "AV1"),
        coercion,
        "000§9",
    ),
    S(
        "av-advised",
        "shanxi-township",
        lambda: advised_case(text=False),
        lambda: advised_case(text=True),
        "000§10",
    ),
    S(
        "av-exemption-reason",
        "shanxi-forestry",
        lambda: edit(
            drop(insp(), "av_records", "AV1"),
            "acts",
            "A1",
            av_exemption=AVExemption("secrets", "涉及商业秘密"),
        ),
        lambda: edit(
            drop(insp(), "av_records", "AV1"),
            "acts",
            "A1",
            av_exemption=AVExemption("secrets", "涉及商业秘密"),
            flags=frozenset({"problems_found", "secrets"}),
        ),
        "004§6",
    ),
    S(
        "av-precheck",
        "zhangying-town",
        lambda: edit(g(), "av_records", "AV1", precheck=None),
        g,
        "003§13",
    ),
    S(
        "av-opening-statement",
        "shanxi-township",
        lambda: edit(
            g(),
            "av_records",
            "AV1",
            opening_statement=OpeningStatement(None, ALL_ELEMENTS - {"target"}),
        ),
        g,
        "000§13",
    ),
    S(
        "av-continuity",
        "shanxi-township",
        lambda: gap_case(False),
        lambda: gap_case(True),
        "000§13",
    ),
    S(
        "av-coverage",
        "shanxi-forestry",
        lambda: edit(
            g(),
            "av_records",
            "AV1",
            segments=(change(g().av_records[0].segments[0], start=at("2026-09-14 09:10")),),
        ),
        g,
        "004§7",
    ),
    S(
        "av-after-the-fact",
        "shanxi-forestry",
        lambda: edit(
            insp(),
            "av_records",
            "AV2",
            segments=(
                change(
                    insp().av_records[0].segments[0],
                    start=at("2026-06-16 09:30"),
                    end=at("2026-06-16 10:00"),
                ),
            ),
        ),
        insp,
        "004§9",
    ),
    S(
        "av-interruption",
        "pengyang-bureau",
        lambda: edit(
            g(),
            "av_records",
            "AV1",
            interruptions=(Interruption(at("2026-09-14 09:39"), "存储空间已满", None, "written"),),
        ),
        lambda: edit(
            g(),
            "av_records",
            "AV1",
            interruptions=(
                Interruption(at("2026-09-14 09:39"), "存储空间已满", None, "written", True),
            ),
        ),
        "001§9",
    ),
    S(
        "av-upload-deadline",
        "shanxi-forestry",
        lambda: edit(g(), "av_records", "AV1", stored_at=at("2026-09-15 10:00")),
        g,
        "004§11",
    ),
    S(
        "av-custodian",
        "township-legal-office",
        lambda: edit(g(), "av_records", "AV1", custodian=""),
        g,
        "002§32",
    ),
    S(
        "av-recording-notice",
        "pengyang-bureau",
        lambda: set_fields(
            edit(
                g(),
                "av_records",
                "AV2",
                opening_statement=OpeningStatement(None, ALL_ELEMENTS - {"notice"}),
            ),
            "T2",
            recording_notice=False,
        ),
        g,
        "001§6",
    ),
    S(
        "av-long-term",
        "pengyang-bureau",
        lambda: edit(g(), "acts", "A1", flags=frozenset({"disputed"})),
        lambda: edit(
            edit(g(), "acts", "A1", flags=frozenset({"disputed"})),
            "av_records",
            "AV1",
            retention=Retention("long_term", "当事人对现场执法有异议"),
        ),
        "001§14",
    ),
    S(
        "av-not-suitable",
        "shanxi-forestry",
        lambda: edit(insp(), "acts", "A1", flags=frozenset({"problems_found", "explosive_area"})),
        lambda: edit(
            edit(insp(), "acts", "A1", flags=frozenset({"problems_found", "explosive_area"})),
            "av_records",
            "AV1",
            device_id="D2",
        ),
        "004§6",
    ),
    S(
        "av-device-condition",
        "shanxi-township",
        lambda: g(
            devices=device_with(DeviceEvent("fault", at("2026-09-10 08:00"), note="无法开机"))
        ),
        lambda: g(
            devices=device_with(
                DeviceEvent("fault", at("2026-09-10 08:00"), note="无法开机"),
                DeviceEvent("repair", at("2026-09-11 08:00"), note="更换主板"),
            )
        ),
        "000§21",
    ),
    S(
        "av-device-condition",
        "shanxi-forestry",
        lambda: insp(devices=device_with(DeviceEvent("maintenance", at("2025-10-01 08:00")))),
        lambda: insp(devices=device_with(DeviceEvent("maintenance", at("2026-05-01 08:00")))),
        "004§39",
    ),
    S(
        "av-unlinked",
        "shanxi-township",
        lambda: edit(g(), "av_records", "AV1", linked_at=at("2026-10-20 09:00")),
        lambda: edit(g(), "av_records", "AV1", linked_at=at("2026-09-16 09:00")),
        "000§16",
    ),
    S(
        "av-catalogue",
        "shanxi-forestry",
        lambda: edit(insp(), "av_records", "AV1", officer_id="O9"),
        insp,
        "004§10",
    ),
    S(
        "av-retention",
        "shanxi-forestry",
        lambda: edit(insp(), "av_records", "AV1", retention=Retention("3y")),
        insp,
        "004§12",
    ),
    S(
        "retention-schedule",
        "shanxi-township",
        lambda: edit(g(), "av_records", "AV1", retention=Retention("10y")),
        g,
        "行政处罚法§47",
    ),
    S(
        "case-file-deadline",
        "pengyang-bureau",
        lambda: g(
            case_file=change(
                g().case_file,
                formed_at=at("2026-11-02 10:00"),
                handed_over_at=at("2026-11-02 11:00"),
            )
        ),
        g,
        "001§11",
    ),
    S(
        "case-file-av-statement",
        "pengyang-bureau",
        lambda: g(case_file=change(g().case_file, av_statements=g().case_file.av_statements[1:])),
        g,
        "001§11",
    ),
    S(
        "disclosure-approval",
        "shanxi-township",
        lambda: with_access("disclosure", "section_head"),
        lambda: with_access("disclosure", "head"),
        "000§17",
    ),
    S(
        "copy-approval",
        "shanxi-forestry",
        lambda: with_access("copy", "deputy_head"),
        lambda: with_access("copy", "deputy_head", authorised=True),
        "004§37",
    ),
    S(
        "view-approval",
        "township-legal-office",
        lambda: with_access("view", "section_head"),
        lambda: with_access("view", "legal_office_head"),
        "002§33",
    ),
    S(
        "access-confidential",
        "township-legal-office",
        lambda: with_access("copy", "legal_office_head", confidential=True),
        lambda: with_access("copy", "legal_office_head"),
        "002§34",
    ),
    S(
        "application-records",
        "township-legal-office",
        lambda: application(supplement_notice=False),
        application,
        "002§8",
    ),
    S(
        "complaint-record",
        "township-legal-office",
        lambda: complaint(False),
        lambda: complaint(True),
        "002§10",
    ),
    S(
        "officers-recorded",
        "township-legal-office",
        lambda: edit(g(), "text_records", "T2", certificates_shown=None),
        g,
        "002§11",
    ),
    S(
        "preservation-record",
        "shanxi-forestry",
        lambda: with_preservation(form=False),
        with_preservation,
        "004§19",
    ),
    S(
        "draft-decision-record",
        "township-legal-office",
        lambda: drop(g(), "text_records", "T5"),
        g,
        "002§16",
    ),
    S(
        "legal-review-record",
        "township-legal-office",
        lambda: edit(
            g(),
            "approvals",
            "P2",
            steps=tuple(
                change(s, opinion="") if s.role == "reviewer" else s for s in g().approvals[1].steps
            ),
        ),
        g,
        "002§17",
    ),
    S(
        "expert-opinion-record",
        "township-legal-office",
        lambda: g(flags=frozenset({"expert_panel"})),
        lambda: add(
            g(flags=frozenset({"expert_panel"})),
            "text_records",
            TextRecord("T8", "expert_minutes", at("2026-09-20 10:00")),
        ),
        "002§18",
    ),
    S(
        "collective-discussion-minutes",
        "shanxi-forestry",
        lambda: with_collective(fields=False),
        with_collective,
        "004§23",
    ),
    S(
        "head-approval-record",
        "township-legal-office",
        lambda: edit(
            g(),
            "approvals",
            "P3",
            steps=tuple(
                change(s, signed=False) if s.role == "approver" else s
                for s in g().approvals[2].steps
            ),
        ),
        g,
        "002§20",
    ),
    S(
        "decision-reasons",
        "township-legal-office",
        lambda: without_field(g(), "T7", "reasons"),
        g,
        "002§21",
    ),
    S(
        "simple-procedure-record",
        "shanxi-forestry",
        lambda: without_field(simple(), "T1", "filing"),
        simple,
        "004§24",
    ),
    S(
        "rectification-reinspection",
        "shanxi-forestry",
        lambda: edit(
            insp(), "acts", "A2", started_at=at("2026-06-18 09:30"), ended_at=at("2026-06-18 10:00")
        ),
        insp,
        "004§15",
    ),
    S(
        "rectification-order-record",
        "shanxi-forestry",
        lambda: drop(insp(), "text_records", "T2"),
        insp,
        "004§14",
    ),
    S(
        "inspection-signatures",
        "shanxi-forestry",
        lambda: edit(insp(), "text_records", "T2", signatures=SIGNED[:2]),
        insp,
        "004§14",
    ),
    S(
        "reinspection-signatures",
        "shanxi-forestry",
        lambda: edit(insp(), "text_records", "T3", signatures=SIGNED[:2]),
        insp,
        "004§15",
    ),
    S(
        "penalty-opinion-record",
        "shanxi-forestry",
        lambda: drop(g(), "text_records", "T6"),
        g,
        "004§21",
    ),
    S(
        "execution-evidence",
        "shanxi-forestry",
        lambda: edit(g(), "execution", "E1", fields={"bank_receipt": False}),
        g,
        "004§30",
    ),
    S(
        "on-spot-collection",
        "shanxi-township",
        lambda: simple(penalty=Penalty("fine", 150, True)),
        lambda: simple(penalty=Penalty("fine", 150, True, "hard_to_enforce")),
        "行政处罚法§68",
    ),
    S(
        "service-electronic",
        "township-legal-office",
        lambda: with_consent(with_service("electronic"), "2026-09-18 10:00"),
        lambda: with_consent(with_service("electronic"), "2026-09-16 10:00"),
        "行政处罚法§61",
    ),
    S(
        "case-file-contents",
        "shanxi-township",
        lambda: g(case_file=change(g().case_file, catalogue=g().case_file.catalogue[:-1])),
        g,
        "行政处罚法§47",
    ),
    S(
        "hearing-request-period",
        "shanxi-township",
        lambda: edit(g(), "text_records", "T7", made_at=at("2026-09-22 10:00")),
        lambda: set_fields(
            edit(g(), "text_records", "T7", made_at=at("2026-09-22 10:00")),
            "T4",
            hearing_waived=True,
        ),
        "行政处罚法§64",
    ),
    S(
        "approval-roles",
        "township-legal-office",
        lambda: edit(g(), "approvals", "P1", steps=g().approvals[0].steps[1:]),
        g,
        "002§37",
    ),
]


def _ids(s: Scenario) -> str:
    return f"{s.rule_id}@{s.profile}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_violating_case_is_reported_with_its_citation(scenario: Scenario, check) -> None:
    found = [
        f
        for f in check(scenario.violating(), scenario.profile, at(scenario.now))
        if f.rule_id == scenario.rule_id
    ]
    assert found, f"{scenario.rule_id} did not fire"
    if scenario.citation:
        assert scenario.citation in {f.citation for f in found}
    assert all(f.message and f.remedy and "{" not in f.message + f.remedy for f in found)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_satisfying_case_is_not_reported(scenario: Scenario, check) -> None:
    found = [
        f
        for f in check(scenario.satisfying(), scenario.profile, at(scenario.now))
        if f.rule_id == scenario.rule_id
    ]
    assert found == []


def test_every_rule_has_scenarios() -> None:
    covered = {(s.rule_id, s.profile) for s in SCENARIOS}
    covered_ids = {rid for rid, _ in covered}
    missing = sorted({r.id for p in list_profiles() for r in p.rules} - covered_ids)
    assert missing == []
    for rid, profile in covered:
        assert rid in {r.id for p in list_profiles() if p.id == profile for r in p.rules}, (
            rid,
            profile,
        )


@pytest.mark.parametrize("profile", [p.id for p in list_profiles()])
@pytest.mark.parametrize("kind", ["general", "inspection", "simple", "coercion"])
def test_complete_sample_cases_have_no_findings_under_any_profile(
    kind: str, profile: str, check
) -> None:
    assert check(make_case(kind), profile) == []


def test_signature_refusal_without_reason_is_reported() -> None:
    from liuhen.rules import WorkCalendar, evaluate, load_profile

    c = edit(g(), "text_records", "T2", signatures=SIGNED[:2], refusals=(Refusal("party", ""),))
    found = evaluate(c, load_profile("shanxi-township"), WorkCalendar(), at("2026-11-23 09:00"))
    assert any(f.rule_id == "record-signatures" and "拒绝签名的事由" in f.message for f in found)


def test_signature_role_list_covers_the_party_witness_and_officer(check) -> None:
    c = edit(g(), "text_records", "T1", signatures=(Signature("officer", "张伟", "O1"),))
    assert {f.rule_id for f in check(c, "shanxi-township")} == {"record-signatures"}
