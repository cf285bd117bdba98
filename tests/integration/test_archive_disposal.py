"""Filing (归档移交), retention classes and disposal after the retention date: refused before
it, with an approval after it; the blob is gone, a tombstone stays, and verify, fixity and
the download still make sense."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import FakeClock
from tests.factories import make_user, ready_to_close
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.archive.verify_package import verify_package
from liuhen.errors import Conflict, Disposed, ForbiddenChange, InvalidInput
from liuhen.services.access.downloads import read_record_file
from liuhen.services.approvals.workflow import decide
from liuhen.services.archiving.disposal import dispose, request_disposal
from liuhen.services.archiving.filing import file_case, latest_four_properties
from liuhen.services.archiving.fixity import run_fixity
from liuhen.services.archiving.integrity import verify
from liuhen.services.archiving.packages import export_package
from liuhen.services.archiving.queries.retention import record_retention
from liuhen.services.cases.bundles import assemble_bundle, case_findings
from liuhen.services.cases.records import AttachedFile, add_record
from liuhen.services.cases.serving import close_case
from liuhen.store import tables as t
from liuhen.store.store import Store

PASSWORD = "Archive-pass-2026"


def _users(store: Store, agency: str) -> dict:
    custodian = make_user(
        store, "keeper", "custodian", agency_id=agency, display_name="王档案", password=PASSWORD
    )
    head = make_user(
        store, "chief", "head", agency_id=agency, display_name="赵局长", password=PASSWORD
    )
    return {"custodian": custodian, "head": head}


def _events(store: Store, action: str) -> list[dict]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events)
            .where(t.ledger_events.c.action == action)
            .order_by(t.ledger_events.c.seq)
        ).mappings()
        return [dict(r) for r in rows]


def _closed_case(store: Store, tmp: Path, clock: FakeClock) -> dict:
    made = make_case_with_files(store, tmp)
    clock.advance(days=2)
    ready_to_close(store, made["case"])
    close_case(store, SYSTEM, case_id=made["case"], at=clock(), outcome="closed")
    return made


def _approve(store: Store, users: dict, approval_id: str) -> None:
    decide(
        store,
        users["head"].actor,
        approval_id,
        decision="approved",
        opinion="同意处置",
        position="head",
        final=True,
    )


def test_filing_is_an_act_with_custodian_and_satisfies_the_deadline(store, tmp_path, clock):
    made = _closed_case(store, tmp_path, clock)
    users = _users(store, made["agency"])
    clock.advance(days=1)
    filing = file_case(
        store, users["custodian"].actor, made["case"], custodian_id=users["custodian"].id
    )
    assert filing.custodian == "王档案" and filing.retention_term == "30y"
    assert filing.four_properties["ok"] is True
    with store.read() as conn:
        act = conn.execute(select(t.acts).where(t.acts.c.id == filing.act_id)).mappings().one()
    assert act["kind"] == "filing" and act["details"]["custodian_id"] == users["custodian"].id
    bundle = assemble_bundle(store, made["case"])
    assert all(a["kind"] != "filing" for a in bundle["acts"])
    assert bundle["case_file"]["custodian"] == "王档案"
    assert bundle["case_file"]["handed_over_at"].startswith(
        clock().astimezone(store.settings.tz).date().isoformat()
    )
    assert bundle["case_file"]["retention"] == {"term": "30y"}
    report = latest_four_properties(store, made["case"])
    assert report is not None and report["purpose"] == "filing" and report["ok"]
    assert (
        _events(store, "case.filed")[0]["payload"]["four_properties_event"] == report["event_seq"]
    )
    with pytest.raises(Conflict, match="已于"):
        file_case(store, users["custodian"].actor, made["case"], custodian_id=users["custodian"].id)


def test_filing_refuses_an_open_case_and_a_non_custodian(store, tmp_path):
    made = make_case_with_files(store, tmp_path)
    users = _users(store, made["agency"])
    with pytest.raises(Conflict, match="尚未结案"):
        file_case(store, users["custodian"].actor, made["case"], custodian_id=users["custodian"].id)
    with pytest.raises(InvalidInput) as info:
        file_case(store, users["custodian"].actor, made["case"], custodian_id=users["head"].id)
    assert any(d.startswith("custodian:") for d in info.value.details)


def test_filing_deadline_finding_from_the_day_the_act_ends(store, clock):
    """shanxi-forestry: 30 days from the end of the act (004§35); pending, then met by filing."""
    from liuhen.services.admin.agency import create_agency
    from liuhen.services.cases.cases import open_case

    agency = create_agency(store, SYSTEM, name="山西省林业和草原局", profile_id="shanxi-forestry")
    users = _users(store, agency)
    opened = datetime(2026, 11, 1, 9, 0, tzinfo=store.settings.tz)
    case = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number="晋林罚〔2026〕1号",
        title="某公司滥伐林木案",
        procedure="general",
        party={"kind": "organisation", "name": "某公司"},
        opened_at=opened,
    )
    ready_to_close(store, case, record=True)
    close_case(store, SYSTEM, case_id=case, at=clock() - timedelta(days=1), outcome="closed")
    found = [f for f in case_findings(store, case, clock()) if f.rule_id == "case-file-deadline"]
    assert len(found) == 1 and found[0].citation == "004§35" and found[0].due is not None
    # ended 19 Nov; the 30th day, 19 Dec, is a Saturday, so the period runs to Monday 21 Dec
    assert found[0].due.date().isoformat() == "2026-12-21" and found[0].status == "pending"
    file_case(store, users["custodian"].actor, case, custodian_id=users["custodian"].id)
    ids = {f.rule_id for f in case_findings(store, case, clock())}
    assert "case-file-deadline" not in ids


def test_retention_classes_from_the_profile(store, tmp_path, clock):
    made = _closed_case(store, tmp_path, clock)
    users = _users(store, made["agency"])
    doc = record_retention(store, made["record"])
    assert doc.class_code == "document" and doc.citation == "行政处罚法§47"
    assert doc.until is None and "尚未起算" in doc.explanation
    file_case(
        store,
        users["custodian"].actor,
        made["case"],
        custodian_id=users["custodian"].id,
        retention_term="10y",
    )
    doc = record_retention(store, made["record"])
    assert doc.term == "10y" and doc.until is not None
    assert doc.until.year == clock().year + 10
    # AV no case holds: 3 years from storage (the default: 张营镇's 003 sets no term); written as the AV import writes it
    av = "a" * 32
    with store.transaction(SYSTEM) as tx:
        tx.insert(
            "records",
            {
                "id": av,
                "case_id": None,
                "act_id": None,
                "supersedes_id": None,
                "version": 1,
                "kind": "av",
                "doc_kind": "",
                "title": "巡查录像",
                "details": {"segments": []},
                "correction_reason": "",
                "created_by": "system",
                "created_at": clock(),
            },
        )
        tx.record("av.imported", subject_type="record", subject_id=av)
    other = record_retention(store, av)
    assert (
        other.class_code == "other_av" and other.citation == "行政处罚法§47" and other.term == "3y"
    )
    assert other.until == other.starts_at.replace(year=other.starts_at.year + 3)


def test_disposal_refused_before_the_date_then_done_with_approval(store, tmp_path, clock):
    made = _closed_case(store, tmp_path, clock)
    users = _users(store, made["agency"])
    keeper = users["custodian"].actor
    # before filing: no date at all
    with pytest.raises(ForbiddenChange, match="保管期限内不得处置"):
        dispose(store, keeper, made["record"], approval_id=None)
    file_case(store, keeper, made["case"], custodian_id=users["custodian"].id, retention_term="10y")
    with pytest.raises(ForbiddenChange, match="届满"):
        request_disposal(store, keeper, made["record"], reason="保管期满")
    refused = _events(store, "record.disposal_refused")
    assert len(refused) == 2 and refused[-1]["subject_id"] == made["record"]

    clock.advance(days=366 * 10 + 3)
    approval = request_disposal(
        store, keeper, made["record"], reason="保管期满，经鉴定无继续保存价值"
    )
    with pytest.raises(Conflict, match="尚未办结"):
        dispose(store, keeper, made["record"], approval_id=approval)
    with pytest.raises(InvalidInput, match="批准"):
        dispose(store, keeper, made["record"], approval_id=None)
    _approve(store, users, approval)
    result = dispose(store, keeper, made["record"], approval_id=approval)
    assert [f["bytes_removed"] for f in result.files] == [True]
    assert not store.blobs.exists(made["blob"])
    with store.read() as conn:
        (stone,) = conn.execute(select(t.disposals)).mappings().all()
    assert stone["blob_sha256"] == made["blob"] and stone["details"]["approval_id"] == approval
    assert stone["details"]["sm3"] and stone["details"]["size"] > 0
    assert (
        stone["details"]["citation"] == "行政处罚法§47" and stone["details"]["class"] == "document"
    )
    (event,) = _events(store, "record.disposed")
    assert event["payload"]["files"][0]["sha256"] == made["blob"]

    report = verify(store, SYSTEM)
    assert report.ok, report.problems
    assert [d["sha256"] for d in report.disposed] == [made["blob"]]
    assert any("已处置" in n for n in report.notes)
    fixity = run_fixity(store, SYSTEM, rate_mb=0)
    assert fixity.ok and fixity.disposed == 1 and fixity.checked == 0
    with pytest.raises(Disposed, match=approval):
        read_record_file(store, SYSTEM, made["record"], 1)
    with pytest.raises(Conflict, match="不能重复处置"):
        dispose(store, keeper, made["record"], approval_id=approval)
    # a later archive package leaves the disposed file out and notes it in the 备考表
    result = export_package(store, SYSTEM, made["case"], tmp_path / "pkg")
    assert result.files == 0
    checked = verify_package(tmp_path / "pkg")
    assert checked.ok, checked.problems


def test_a_blob_another_kept_record_uses_is_not_removed(store, tmp_path, clock):
    made = _closed_case(store, tmp_path, clock)
    users = _users(store, made["agency"])
    keeper = users["custodian"].actor
    twin = add_record(  # a second record of the same case holding the same bytes
        store,
        SYSTEM,
        case_id=made["case"],
        act_id=made["act"],
        kind="text",
        doc_kind="inquiry_record",
        title="询问笔录",
        details={"made_at": clock().isoformat(), "officer_ids": [], "fields": {}},
        files=[AttachedFile(made["blob"], "副本.txt", "text/plain")],
    )
    file_case(store, keeper, made["case"], custodian_id=users["custodian"].id, retention_term="10y")
    clock.advance(days=366 * 10 + 3)
    approval = request_disposal(store, keeper, made["record"], reason="期满")
    _approve(store, users, approval)
    result = dispose(store, keeper, made["record"], approval_id=approval)
    assert result.files[0]["bytes_removed"] is False
    assert store.blobs.exists(made["blob"])
    assert read_record_file(store, SYSTEM, twin, 1).size > 0
    assert verify(store, SYSTEM).ok
