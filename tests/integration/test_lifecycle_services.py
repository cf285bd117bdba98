"""A 一般程序 case run through the services as four people, findings checked at each step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from tests.factories import make_agency
from tests.helpers import SYSTEM

from liuhen.errors import Conflict, ForbiddenChange, InvalidInput, PermissionDenied
from liuhen.services.admin.users import add_user
from liuhen.services.approvals.queries import inbox
from liuhen.services.approvals.workflow import decide, request_approval
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.bundles import case_findings
from liuhen.services.cases.cases import list_cases, open_case
from liuhen.services.cases.records import add_record, correct_record, record_act, record_history
from liuhen.services.cases.serving import close_case, record_execution, record_service

CST = timezone(timedelta(hours=8))


def _rules(store, case_id, now):  # type: ignore[no-untyped-def]
    return {(f.rule_id, f.status) for f in case_findings(store, case_id, now)}


@pytest.fixture
def people(store):  # type: ignore[no-untyped-def]
    made = make_agency(
        store,
        name="某镇人民政府",
        profile_id="township-legal-office",
        officers={"张伟": "14010001", "李娜": "14010002"},
    )
    agency, o1, o2 = made["agency"], made["张伟"], made["李娜"]

    def user(name: str, login: str, role: str, officer: str | None = None):  # type: ignore[no-untyped-def]
        return add_user(
            store,
            SYSTEM,
            username=login,
            password="Officer-pass-1",
            display_name=name,
            roles=[role],
            agency_id=agency,
            officer_id=officer,
            section="综合行政执法队",
        ).actor

    return {
        "agency": agency,
        "o1": o1,
        "o2": o2,
        "officer": user("张伟", "zhangwei", "officer", o1),
        "section": user("王强", "wangqiang", "section_head"),
        "legal": user("赵敏", "zhaomin", "legal_reviewer"),
        "head": user("刘刚", "liugang", "head"),
    }


def test_general_case_from_initiation_to_closing(store, clock, people):
    p = people
    clock.now = datetime(2026, 9, 14, 8, 0, tzinfo=CST)
    case = open_case(
        store,
        p["officer"],
        agency_id=p["agency"],
        number="某镇罚立〔2026〕12号",
        title="某木材加工厂未经批准堆放木材案",
        procedure="general",
        party={"kind": "organisation", "name": "某木材加工厂", "address": "某镇东街1号"},
        opened_at=clock.now,
    )
    initiation = request_approval(
        store,
        p["officer"],
        case_id=case,
        kind="initiation",
        opinion="建议立案调查",
        fields={"reason": "未经批准堆放木材", "party": "某木材加工厂"},
        officer_id=p["o1"],
    )
    assert [a.id for a in inbox(store, p["section"])] == [initiation]
    with pytest.raises(PermissionDenied):
        decide(
            store,
            p["officer"],
            initiation,
            decision="approved",
            opinion="同意",
            position="officer",
            final=True,
        )
    with pytest.raises(InvalidInput, match="position"):
        decide(
            store,
            p["legal"],
            initiation,
            decision="approved",
            opinion="同意",
            position="head",
            final=True,
        )
    decide(
        store,
        p["legal"],
        initiation,
        decision="approved",
        opinion="符合立案条件",
        position="legal_office_head",
        final=False,
    )
    decide(
        store,
        p["section"],
        initiation,
        decision="approved",
        opinion="同意立案",
        position="section_head",
        final=True,
    )
    assert inbox(store, p["section"]) == []
    with pytest.raises(Conflict):
        decide(
            store,
            p["head"],
            initiation,
            decision="approved",
            opinion="同意",
            position="head",
            final=True,
        )
    assert ("approval-roles", "violation") not in _rules(store, case, clock.now)

    clock.now = datetime(2026, 9, 14, 9, 0, tzinfo=CST)
    act = record_act(
        store,
        p["officer"],
        case_id=case,
        kind="inspection",
        started_at=clock.now,
        ended_at=clock.now + timedelta(minutes=40),
        place="某镇东街1号厂区",
        officer_ids=[p["o1"], p["o2"]],
        details={"certificates_shown": True},
    )
    clock.advance(minutes=45)
    assert ("av-required", "violation") in _rules(
        store, case, clock.now
    )  # 002§14: inspection needs AV
    record = add_record(
        store,
        p["officer"],
        case_id=case,
        act_id=act,
        kind="text",
        doc_kind="inspection_record",
        title="现场检查（勘验）笔录",
        details={
            "made_at": clock.now.isoformat(),
            "number": "某镇检〔2026〕31号",
            "officer_ids": [p["o1"], p["o2"]],
            "certificates_shown": True,
            "fields": {
                "party_name": "某木材加工厂",
                "place": "厂区",
                "findings": "未经批准堆放木材",
            },
            "signatures": [
                {"role": "officer", "name": "张伟", "officer_id": p["o1"]},
                {"role": "officer", "name": "李娜", "officer_id": p["o2"]},
            ],
            "refusals": [{"role": "party", "name": "王某", "reason": "", "witness": "周某"}],
        },
    )
    assert ("record-signatures", "violation") in _rules(
        store, case, clock.now
    )  # refusal without reason
    fixed = correct_record(
        store,
        p["officer"],
        record_id=record,
        reason="补记当事人拒签理由",
        details={
            "made_at": clock.now.isoformat(),
            "number": "某镇检〔2026〕31号",
            "officer_ids": [p["o1"], p["o2"]],
            "certificates_shown": True,
            "fields": {
                "party_name": "某木材加工厂",
                "place": "厂区",
                "findings": "未经批准堆放木材",
            },
            "signatures": [
                {"role": "officer", "name": "张伟", "officer_id": p["o1"]},
                {"role": "officer", "name": "李娜", "officer_id": p["o2"]},
            ],
            "refusals": [
                {"role": "party", "name": "王某", "reason": "称需请示老板", "witness": "周某"}
            ],
        },
    )
    assert ("record-signatures", "violation") not in _rules(store, case, clock.now)
    history = record_history(store, fixed)
    assert [h["version"] for h in history] == [1, 2] and history[1][
        "correction_reason"
    ] == "补记当事人拒签理由"
    with pytest.raises(Conflict):
        correct_record(store, p["officer"], record_id=record, reason="再改旧版", details={})

    clock.now = datetime(2026, 9, 21, 10, 0, tzinfo=CST)
    notice = add_record(
        store,
        p["officer"],
        case_id=case,
        act_id=None,
        kind="text",
        doc_kind="rights_notice",
        title="行政处罚事先告知书",
        details={
            "made_at": clock.now.isoformat(),
            "number": "某镇罚告〔2026〕12号",
            "fields": {
                "rights": ["statement", "defence", "recusal", "hearing"],
                "notice_method": "书面告知",
            },
        },
    )
    record_service(
        store,
        p["officer"],
        case_id=case,
        mode="direct",
        document_ids=[notice],
        served_at=clock.now + timedelta(hours=2),
        recipient="王某",
        evidence={"receipt": {"recipient_signed": True, "date": "2026-09-21"}},
    )
    clock.now = datetime(2026, 9, 22, 16, 0, tzinfo=CST)
    decision = request_approval(
        store,
        p["officer"],
        case_id=case,
        kind="decision",
        opinion="拟罚款五千元",
        officer_id=p["o1"],
    )
    decide(
        store,
        p["legal"],
        decision,
        decision="approved",
        opinion="事实清楚，程序合法",
        position="legal_office_head",
        final=False,
    )
    decide(
        store, p["head"], decision, decision="approved", opinion="同意", position="head", final=True
    )
    assert [c.stage for c in list_cases(store, SYSTEM) if c.id == case] == ["decision"]

    clock.now = datetime(2026, 9, 24, 10, 0, tzinfo=CST)
    penalty = add_record(
        store,
        p["officer"],
        case_id=case,
        act_id=None,
        kind="text",
        doc_kind="penalty_decision",
        title="行政处罚决定书",
        details={
            "made_at": clock.now.isoformat(),
            "number": "某镇罚决〔2026〕12号",
            "sealed": True,
            "fields": {
                "party_name": "某木材加工厂",
                "party_address": "某镇东街1号",
                "facts": "未经批准堆放木材",
                "evidence": "现场检查笔录",
                "penalty_kind": "罚款",
                "legal_basis": "《森林法》",
                "performance": "十五日内缴纳",
                "remedy_channels": "六十日内申请行政复议或六个月内提起行政诉讼",
                "agency_name": "某镇人民政府",
                "decision_date": "2026-09-24",
            },
        },
    )
    with pytest.raises(InvalidInput) as shape:
        record_service(
            store,
            p["officer"],
            case_id=case,
            mode="lien",
            document_ids=[penalty],
            served_at=clock.now,
            recipient="王某",
            evidence={"lien": {"witnesses": ["周某"]}},
        )
    assert any(d.startswith("$.services[].lien") for d in shape.value.details)
    with pytest.raises(InvalidInput, match="document_ids"):
        record_service(
            store,
            p["officer"],
            case_id=case,
            mode="lien",
            document_ids=["nope"],
            served_at=clock.now,
            recipient="王某",
        )
    record_service(
        store,
        p["officer"],
        case_id=case,
        mode="lien",
        document_ids=[penalty],
        served_at=clock.now + timedelta(hours=5),
        recipient="王某",
        address="某镇东街1号",
        evidence={
            "lien": {
                "refusal_reason": "拒绝签收",
                "refusal_date": "2026-09-24",
                "witness": "周某",
                "witness_signed": True,
                "left_at_residence": True,
            },
            "receipt": {"server_signed": True, "recipient_signed": False, "date": "2026-09-24"},
        },
    )
    record_execution(
        store,
        p["officer"],
        case_id=case,
        kind="fine_paid",
        at=datetime(2026, 10, 8, 10, 0, tzinfo=CST),
        fields={"bank_receipt": True, "amount": 5000},
    )
    close_case(
        store,
        p["officer"],
        case_id=case,
        at=datetime(2026, 10, 9, 10, 0, tzinfo=CST),
        outcome="penalty",
    )
    with pytest.raises(Conflict, match="已结案"):
        close_case(
            store,
            p["officer"],
            case_id=case,
            at=datetime(2026, 10, 9, 11, 0, tzinfo=CST),
            outcome="penalty",
        )
    clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    rules = _rules(store, case, clock.now)
    assert (
        "case-file-deadline",
        "violation",
    ) in rules  # closed 2026-10-09, no case file after 30 days
    with pytest.raises(ForbiddenChange):
        with store.transaction(SYSTEM) as tx:
            tx.update("records", fixed, {"title": "改"})
    assert verify(store, SYSTEM).ok


def test_waiting_approval_shows_on_the_case_timeline(store, clock, people):
    from liuhen.services.cases.view import case_view

    p = people
    case = open_case(
        store,
        p["officer"],
        agency_id=p["agency"],
        number="某镇罚立〔2026〕13号",
        title="案",
        procedure="general",
        party={"kind": "person", "name": "甲"},
        opened_at=clock.now,
    )
    request_approval(
        store, p["officer"], case_id=case, kind="initiation", opinion="建议立案", officer_id=p["o1"]
    )
    view = case_view(store, p["head"], case)
    waiting = [i for _k, _n, items in view.stages for i in items if i.kind == "审批（待审批）"]
    assert [w.title for w in waiting] == ["立案（程序启动）审批"]
    assert "建议立案" in waiting[0].detail


def test_imported_approvals_are_history_not_work(store, clock):  # type: ignore[no-untyped-def]
    """The demo's bundles bring approvals decided on paper (their steps in the bundle):
    a head of that agency finds none of them waiting in 待我审批."""
    from liuhen.demo.data import demo_bundles
    from liuhen.services.cases.bundle_import import import_bundle

    imported = [import_bundle(store, SYSTEM, b) for b in demo_bundles()]
    with store.read() as conn:
        from sqlalchemy import func, select

        from liuhen.store import tables as t

        assert conn.execute(select(func.count()).select_from(t.approvals)).scalar() > 0
        agency = conn.execute(
            select(t.cases.c.agency_id).where(t.cases.c.id == imported[0].case_id)
        ).scalar()
    head = add_user(
        store, SYSTEM, username="head", password="Officer-pass-1", display_name="刘刚",
        roles=["head"], agency_id=agency,
    ).actor  # fmt: skip
    assert inbox(store, head) == []
