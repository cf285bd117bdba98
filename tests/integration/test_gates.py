"""Gates in the services (``services/cases/gates``), on SQLite and PostgreSQL: deciding,
closing and filing a case whose findings block the step are refused with every finding and
its article, nothing saved; the head may take the step with a reason, recorded on the ledger
in the step's own transaction and printed in the case file; an officer may not."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from tests.factories import make_agency, make_case, make_user
from tests.helpers import SYSTEM
from tests.samples import at

from liuhen.demo.documents import sample_document
from liuhen.errors import GateBlocked, InvalidInput, PermissionDenied
from liuhen.services.archiving.filing import file_case
from liuhen.services.archiving.packages import case_file_pdf
from liuhen.services.cases.documents import save_document
from liuhen.services.cases.gates import Override
from liuhen.services.cases.records import record_act
from liuhen.services.cases.serving import close_case
from liuhen.store import tables as t


@pytest.fixture
def office(store, clock):  # type: ignore[no-untyped-def]
    """An agency with an officer, its head and a custodian, and a general case with one
    inspection and nothing else (no 立案审批, no notice, no decision)."""
    clock.now = at("2026-11-20 09:00")
    made = make_agency(store, officers={"张建国": "14010020230001", "李明": "14010020230002"})
    agency = made["agency"]
    officer = make_user(store, "zhang", "officer", agency_id=agency, officer_id=made["张建国"])
    head = make_user(store, "chief", "head", agency_id=agency)
    keeper = make_user(store, "keeper", "custodian", agency_id=agency)
    case = make_case(store, agency, opened_at=clock.now)
    record_act(
        store,
        SYSTEM,
        case_id=case,
        kind="inspection",
        started_at=clock.now,
        ended_at=clock.now + timedelta(minutes=30),
        place="老街1号",
        officer_ids=[made["张建国"], made["李明"]],
    )
    clock.now = at("2026-11-25 10:00")
    return {"case": case, "officer": officer, "head": head, "keeper": keeper}


def _events(store, action: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    query = select(t.ledger_events).order_by(t.ledger_events.c.seq)
    if action:
        query = query.where(t.ledger_events.c.action == action)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _closed(store, case_id: str) -> bool:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return any(
            r.stage == "closed"
            for r in conn.execute(
                select(t.case_transitions.c.stage).where(t.case_transitions.c.case_id == case_id)
            )
        )


def test_closing_with_open_findings_is_refused_with_each_article_and_nothing_saved(store, office):
    before = store.event_count()
    with pytest.raises(GateBlocked) as refused:
        close_case(
            store,
            office["officer"].actor,
            case_id=office["case"],
            at=store.clock(),
            outcome="penalty",
        )
    assert refused.value.http_status == 409 and refused.value.exit_code == 2
    assert refused.value.message.startswith("不能结案") and "机关负责人" in refused.value.message
    assert any("行政处罚法§59" in d and "行政处罚决定书" in d for d in refused.value.details)
    assert any("行政处罚法§44" in d for d in refused.value.details)
    assert store.event_count() == before and not _closed(store, office["case"])


def test_an_officer_cannot_override(store, office):
    before = store.event_count()
    with pytest.raises(PermissionDenied):
        close_case(
            store,
            office["officer"].actor,
            case_id=office["case"],
            at=store.clock(),
            outcome="penalty",
            override=Override("我认为可以结案"),
        )
    assert store.event_count() == before and not _closed(store, office["case"])


def test_an_override_needs_a_reason(store, office):
    with pytest.raises(InvalidInput) as blank:
        close_case(
            store,
            office["head"].actor,
            case_id=office["case"],
            at=store.clock(),
            outcome="penalty",
            override=Override("  "),
        )
    assert blank.value.details == ["override_reason: 请写明越过提示的理由"]
    assert not _closed(store, office["case"])


def test_the_heads_override_is_recorded_with_the_closing_and_printed_in_the_case_file(
    store, office
):
    head = office["head"]
    close_case(
        store,
        head.actor,
        case_id=office["case"],
        at=store.clock(),
        outcome="penalty",
        override=Override("当事人已当场改正，经集体研究决定结案"),
    )
    [override] = _events(store, "case.gate_overridden")
    [closed] = _events(store, "case.closed")
    assert closed["seq"] == override["seq"] + 1  # one transaction: the override, then the step
    assert override["actor_id"] == head.id and override["case_id"] == office["case"]
    payload = override["payload"]
    assert (
        payload["gate"] == "close" and payload["reason"] == "当事人已当场改正，经集体研究决定结案"
    )
    assert {"行政处罚法§59", "行政处罚法§44"} <= {f["citation"] for f in payload["findings"]}
    pdf = case_file_pdf(store, head.actor, office["case"]).pdf
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = "".join(text.split())
    assert "越过提示的决定" in text and "当事人已当场改正，经集体研究决定结案" in text
    assert "行政处罚法§59" in text


def test_filing_is_held_too_and_the_head_may_file_past_it(store, office, clock):
    case, head = office["case"], office["head"]
    close_case(store, head.actor, case_id=case, at=store.clock(), outcome="penalty",
               override=Override("负责人决定结案"))  # fmt: skip
    clock.advance(hours=1)
    with pytest.raises(GateBlocked) as refused:
        file_case(
            store, office["keeper"].actor, case, custodian_id=office["keeper"].id, check=False
        )
    assert refused.value.message.startswith("不能归档移交")
    assert _events(store, "case.filed") == []
    filing = file_case(
        store,
        head.actor,
        case,
        custodian_id=office["keeper"].id,
        check=False,
        override=Override("案卷须按期移交，问题另行整改"),
    )
    overrides = _events(store, "case.gate_overridden")
    assert [o["payload"]["gate"] for o in overrides] == ["close", "file"]
    assert overrides[-1]["subject_id"] == filing.act_id


def test_a_decision_without_the_heads_approval_is_not_saved_unless_the_head_decides(store, office):
    filled = sample_document("penalty_decision")
    with store.read() as conn:
        records = conn.execute(select(t.records.c.id)).all()
    with pytest.raises(GateBlocked) as refused:
        save_document(
            store, office["officer"].actor, case_id=office["case"], act_id=None, filled=filled
        )
    assert refused.value.message.startswith("不能作出决定")
    assert any("行政处罚法§57" in d for d in refused.value.details)  # 负责人审批
    with store.read() as conn:
        assert conn.execute(select(t.records.c.id)).all() == records
    saved = save_document(
        store,
        office["head"].actor,
        case_id=office["case"],
        act_id=None,
        filled=filled,
        override=Override("情况紧急，负责人当场决定"),
    )
    [override] = _events(store, "case.gate_overridden")
    assert override["subject_id"] == saved.record_id and override["payload"]["gate"] == "decide"
