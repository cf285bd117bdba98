"""案卷评查 of closed demo cases (``services/oversight/scoring.py``) on SQLite and PostgreSQL:
each closed case's 评查表 is computed from its findings, a reviewer's manual scores change the
total and are signed on the ledger as insert-only versions, a veto fails the file."""

from __future__ import annotations

import hashlib
import json
import subprocess
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from tests.helpers import SYSTEM
from tests.integration.test_dashboard_service import users

from liuhen.archive.verify_package import verify_package
from liuhen.errors import Conflict, InvalidInput, PermissionDenied
from liuhen.services.archiving.packages import case_file_pdf, export_package
from liuhen.services.oversight.scoring import finding_anchor, load_review, sign_review
from liuhen.services.oversight.scoring_export import review_pdf, review_xlsx
from liuhen.services.permissions import load_case
from liuhen.store import tables as t
from liuhen.store.unit import new_id

GENERAL = "示镇综执罚〔2026〕22号"
VETOED = "示镇强〔2026〕4号"
OPEN = "示镇申〔2026〕15号"
SCORES = {
    "subject-lawful": {"veto": False},
    "evidence-sufficient": {"deduct": 4, "note": "现场检查笔录未附照片"},
    "law-applied": {"deduct": 0},
    "file-in-order": {"deduct": 1, "note": "卷内目录缺页号"},
}


def case_id(store, number: str) -> str:  # type: ignore[no-untyped-def]
    return str(load_case(store, number, by_number=True)["id"])


def events(store, action: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    e = t.ledger_events
    with store.read() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(e.c.payload, e.c.actor_label).where(e.c.action == action)
            ).mappings()
        ]


def test_a_closed_case_of_each_demo_procedure_has_its_sheet_from_its_findings(private_demo):
    store, people = private_demo.store, users(private_demo.store)
    sup = people["sunjd"].actor
    for number in (GENERAL, "示镇当罚〔2026〕0031号", "示镇强〔2026〕3号", VETOED):
        review = load_review(store, sup, case_id(store, number))
        assert review.problem == "" and review.card is not None, number
        card = review.card
        assert card.sheet.citation == "002§35" and card.sheet.points == 100
        for d in card.deductions():
            assert d.finding is not None and d.finding in review.findings
            assert finding_anchor(d.finding).startswith(f"f-{d.finding.rule_id}-")
    late = load_review(store, sup, case_id(store, GENERAL)).card
    assert late is not None
    assert [(d.line.id, d.finding.rule_id, d.points) for d in late.deductions()] == [  # type: ignore[union-attr]
        ("av-stored", "av-upload-deadline", 1)
    ]
    vetoed = load_review(store, sup, case_id(store, VETOED)).card
    assert vetoed is not None and vetoed.failed and vetoed.grade == "不合格"
    assert vetoed.vetoes[0].finding.rule_id == "coercion-approval"  # type: ignore[union-attr]
    inspection = load_review(store, SYSTEM, case_id(store, "示林检〔2026〕8号")).card  # forestry's
    assert inspection is not None and inspection.sheet.citation == "004§39"
    [(line, rule)] = [(d.line.id, d.finding.rule_id) for d in inspection.deductions()]  # type: ignore[union-attr]
    assert line == "inspection-records" and rule in {
        "inspection-signatures",
        "reinspection-signatures",
    }
    still_open = load_review(store, sup, case_id(store, OPEN))
    assert still_open.card is None and "尚未结案" in still_open.problem


def test_manual_scores_change_the_total_are_signed_on_the_ledger_and_rescoring_is_a_version(
    private_demo,
):
    store, people = private_demo.store, users(private_demo.store)
    sup, legal = people["sunjd"].actor, people["wangfang"].actor
    cid = case_id(store, GENERAL)
    first = sign_review(store, sup, cid, 0, SCORES)
    assert (first["version"], first["total"], first["grade"]) == (1, 99 - 4 - 1, "优秀")
    review = load_review(store, legal, cid)
    assert review.version == 1 and review.card is not None and review.card.total == 94
    assert review.signed is not None and review.signed["reviewer"] == "孙建东"
    second = sign_review(
        store, legal, cid, 1, {**SCORES, "subject-lawful": {"veto": True, "note": "超越职权"}}
    )
    assert (second["version"], second["grade"]) == (2, "不合格")
    with store.read() as conn:
        rows = conn.execute(
            select(t.case_reviews.c.version, t.case_reviews.c.supersedes_id, t.case_reviews.c.total)
            .where(t.case_reviews.c.case_id == cid)
            .order_by(t.case_reviews.c.version)
        ).all()
    assert [(r.version, r.supersedes_id, r.total) for r in rows] == [
        (1, None, "94"),
        (2, first["id"], "94"),
    ]
    signed = events(store, "case.reviewed")
    assert [(e["payload"]["version"], e["actor_label"].startswith("孙建东")) for e in signed][
        :1
    ] == [(1, True)]
    payload = signed[0]["payload"]
    assert payload["scores"]["evidence-sufficient"] == {
        "deduct": 4,
        "veto": False,
        "note": "现场检查笔录未附照片",
    }
    [auto] = [d for d in payload["deductions"] if not d.get("manual")]
    assert (auto["line"], auto["rule"], auto["points"]) == ("av-stored", "av-upload-deadline", 1)
    assert signed[1]["payload"]["vetoes"][0]["line"] == "subject-lawful"
    with pytest.raises(Conflict) as stale:
        sign_review(store, sup, cid, 1, SCORES)
    assert "第 2 版" in stale.value.message
    with store.engine.begin() as conn, pytest.raises(Exception, match="insert-only"):
        conn.execute(update(t.case_reviews).values(total=100))


def test_wrong_scores_name_their_field_and_save_nothing(private_demo):
    store, people = private_demo.store, users(private_demo.store)
    sup = people["sunjd"].actor
    cid = case_id(store, GENERAL)
    with pytest.raises(InvalidInput) as caught:
        sign_review(store, sup, cid, 0, {"law-applied": {"deduct": 20, "note": "x"}})
    assert caught.value.details[0] == "scores.law-applied.deduct: 扣分须在 0 至 15 分之间"
    assert "scores.evidence-sufficient: 请评分（证据经查证属实，足以认定案件事实）" in (
        caught.value.details
    )
    with pytest.raises(Conflict, match="尚未结案"):
        sign_review(store, sup, case_id(store, OPEN), 0, SCORES)
    with pytest.raises(PermissionDenied):
        sign_review(store, people["zhangjg"].actor, cid, 0, SCORES)
    assert events(store, "case.reviewed") == []


def test_the_database_holds_one_version_per_number_whatever_the_service_checks(private_demo):
    store, people = private_demo.store, users(private_demo.store)
    cid = case_id(store, GENERAL)
    first = sign_review(store, people["sunjd"].actor, cid, 0, SCORES)
    with store.read() as conn:
        row = dict(
            conn.execute(select(t.case_reviews).where(t.case_reviews.c.id == first["id"]))
            .mappings()
            .one()
        )
    with pytest.raises(Conflict, match="评查表刚由他人评分签名"), store.transaction(SYSTEM) as tx:
        tx.insert("case_reviews", {**row, "id": new_id()})
        tx.record("case.reviewed", subject_type="case", subject_id=cid, case_id=cid)
    assert len(events(store, "case.reviewed")) == 1


def test_the_sheet_exports_as_pdf_and_xlsx_and_goes_into_the_case_file(private_demo, tmp_path):
    store, people = private_demo.store, users(private_demo.store)
    cid = case_id(store, VETOED)
    head = people["liuzz"].actor
    sign_review(store, people["wangfang"].actor, cid, 0, SCORES)
    name, pdf = review_pdf(store, head, cid)
    assert name == f"案卷评查表-{VETOED}.pdf" and pdf.startswith(b"%PDF")
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "sheet.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text = "".join(text.split())  # letter-spaced titles and wrapped cells read as one line
    for words in ("行政执法案卷评查表", VETOED, "否决", "行政强制法§18", "coercion-approval",
                  "现场检查笔录未附照片", "不合格", "王芳", "第1版"):  # fmt: skip
        assert words in text, words
    name, data = review_xlsx(store, head, cid)
    sheet = load_workbook(BytesIO(data))["评查表"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert ["总分", 95, "满分", 100, "等次", "不合格"] in [r[:6] for r in rows]
    assert any(r[3] == "实施行政强制措施前报经负责人批准" and r[6] == "否决" for r in rows)
    assert [e["payload"]["format"] for e in events(store, "case.review_exported")] == [
        "pdf",
        "xlsx",
    ]
    case_file = case_file_pdf(store, head, cid)
    [appendix] = [i for i in case_file.catalogue() if i["key"] == "appendix-1"]
    assert (appendix["title"], appendix["volume"], appendix["author"]) == (
        "行政执法案卷评查表（第 1 版）",
        "副卷",
        "王芳",
    )
    assert appendix["last_page"] >= appendix["first_page"] > 0


def test_the_signed_sheet_is_its_own_file_in_the_archive_package(demos, templates, tmp_path, clock):
    """The 评查表 goes into the BagIt package as data/review/case-review.pdf, listed with its
    digests in files.json and the manifests; verify-package checks it (SQLite only: the
    package is written the same way on either engine, and writing one is slow)."""
    demo = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    try:
        store, people = demo.store, users(demo.store)
        cid = case_id(store, VETOED)
        head = people["liuzz"].actor
        sign_review(store, people["wangfang"].actor, cid, 0, SCORES)
        package = tmp_path / "pkg"
        export_package(store, head, cid, package)  # the signed sheet is its own file, with digests
        index = json.loads((package / "data" / "metadata" / "files.json").read_text("utf-8"))
        [listed] = index["reviews"]
        sheet = package / "data" / "review" / "case-review.pdf"
        assert (
            listed["path"] == "data/review/case-review.pdf"
            and listed["title"] == "行政执法案卷评查表（第 1 版）"
        )
        assert (listed["sha256"], listed["size"]) == (
            hashlib.sha256(sheet.read_bytes()).hexdigest(),
            sheet.stat().st_size,
        )
        manifest = (package / "manifest-sha256.txt").read_text("utf-8")
        assert f"{listed['sha256']}  data/review/case-review.pdf" in manifest
        assert verify_package(package).ok
        index["reviews"][0]["size"] += 1  # files.json no longer agrees with the file
        (package / "data" / "metadata" / "files.json").write_text(json.dumps(index), "utf-8")
        kinds = {p.kind for p in verify_package(package).problems}
        assert "metadata_mismatch" in kinds
    finally:
        demo.store.close()
        templates.drop(demo.store.settings)
