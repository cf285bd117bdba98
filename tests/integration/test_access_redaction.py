"""Redaction of a party's copy (002§34, 004§38) through the store, SQLite and PostgreSQL: a
询问笔录 naming a third party with ID number and phone; proposals at registration, the head
keeps, removes and adds marks with reasons, the copy is drawn without the words (pypdf and
pdftotext find neither), a last page lists each mark, the original is untouched, and the
ledger holds spans, grounds and keyed digests, never the words."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.factories import make_user
from tests.helpers import SYSTEM, run_jobs
from tests.redaction_case import (
    PARTY_PHONE,
    REQUESTER,
    T0,
    THIRD_ADDRESS,
    THIRD_ID,
    THIRD_PHONE,
    setup_case,
)

from liuhen.errors import Conflict, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.access.queries.requests import get_request
from liuhen.services.access.redactions import confirm_marks
from liuhen.services.access.requests import register_request
from liuhen.services.approvals.queries import inbox
from liuhen.services.approvals.workflow import decide
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t

SHOTS = Path("/work/scratch/shots")


@pytest.fixture(autouse=True)
def after_the_act(clock: Any) -> None:
    clock.now = T0 + timedelta(hours=2)


def blob(store: Any, sha: str) -> bytes:
    with store.blobs.open(sha) as f:
        data: bytes = f.read()
    return data


def extracted(pdf: bytes, tmp: Path) -> tuple[str, str]:
    """The PDF's text as pypdf and as poppler's pdftotext read it."""
    from io import BytesIO

    from pypdf import PdfReader

    by_pypdf = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    path = tmp / "copy.pdf"
    path.write_bytes(pdf)
    by_poppler = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return by_pypdf, by_poppler


def redaction_rows(store: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.redactions)).scalar_one())


def events(store: Any, action: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(t.ledger_events).where(t.ledger_events.c.action == action))
        return [dict(r) for r in rows.mappings()]


def test_a_third_partys_id_and_phone_are_removed_from_the_partys_copy(store, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    made = setup_case(store)
    original = blob(store, made["saved"].pdf_sha256)
    rid = register_request(
        store,
        made["clerk"],
        case_id=made["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[made["saved"].record_id],
        purpose="申请行政复议需要",
    )
    request = get_request(store, made["head"], rid)
    record_id = made["saved"].record_id
    proposals = request.redaction["records"][record_id]["proposals"]
    kinds = [(p["segment"], p["kind"]) for p in proposals]
    assert ("field.interviewee_id_number", "resident_id") in kinds
    assert ("field.interviewee_phone", "phone") in kinds
    assert ("field.interviewee_name", "name") in kinds
    assert kinds.count(("field.qa", "phone")) == 1  # the party's own phone is not proposed
    assert all(p["ground"] in ("privacy", "commercial_secret") and p["reason"] for p in proposals)
    assert THIRD_ID not in json.dumps(request.redaction, ensure_ascii=False)

    # nobody reviewed the proposals: the head cannot grant the copy yet
    [waiting] = inbox(store, made["head"])
    with pytest.raises(InvalidInput) as early:
        decide_copy(store, made["head"], waiting.id)
    assert early.value.details[0].startswith("decision: 《询问笔录》中有系统识别出的他人个人信息")

    # bad marks: one message per problem naming the field, nothing saved
    bad = [dict(proposals[0], reason=""), dict(proposals[1], end=10_000)]
    with pytest.raises(InvalidInput) as wrong:
        confirm_marks(store, made["head"], rid, record_id, bad)
    assert wrong.value.details[0] == "marks[1].reason: 第 1 处遮盖须写明理由"
    assert wrong.value.details[1].startswith("marks[2].end: 第 2 处遮盖的范围")
    assert redaction_rows(store) == 0 and not events(store, "access.redaction_confirmed")
    with pytest.raises(Exception) as clerk:  # a clerk may not decide what is withheld
        confirm_marks(store, made["clerk"], rid, record_id, proposals)
    assert type(clerk.value).__name__ == "PermissionDenied"

    # the head removes the address mark and adds one over "县医院" with a reason
    kept = [p for p in proposals if p["kind"] != "address"]
    added = qa_mark(store, record_id, "在县医院上班")
    marks = [*kept, added]
    confirm_marks(store, made["head"], rid, record_id, marks)
    [event] = events(store, "access.redaction_confirmed")
    payload = json.dumps(event["payload"], ensure_ascii=False)
    assert THIRD_ID not in payload and THIRD_PHONE not in payload and "县医院上班" not in payload
    assert event["payload"]["version"] == 1 and event["payload"]["added"] == 1
    assert len(event["payload"]["removed"]) == sum(p["kind"] == "address" for p in proposals)
    assert all(len(m["digest"]) == 64 for m in event["payload"]["marks"])

    # a change is a new version pointing at the one before; the copy uses the newest
    second = confirm_marks(store, made["head"], rid, record_id, marks)
    with store.read() as conn:
        versions = conn.execute(
            select(
                t.redactions.c.id, t.redactions.c.version, t.redactions.c.supersedes_id
            ).order_by(t.redactions.c.version)
        ).all()
    assert [(v.version, v.supersedes_id) for v in versions] == [(1, None), (2, versions[0].id)]
    assert versions[1].id == second

    decide_copy(store, made["head"], waiting.id)
    request = get_request(store, made["head"], rid)
    [copy] = request.copies
    [f] = copy["files"]
    assert f["file_name"] == "询问笔录_复制件（遮盖）.pdf"
    pdf = blob(store, f["sha256"])
    for text in extracted(pdf, tmp_path):
        assert THIRD_ID not in text and THIRD_PHONE not in text
        assert "县医院上班" not in text and "■■■■" in text
        assert PARTY_PHONE in text and "王某" in text  # the requester's own data stays
        assert "遮盖说明" in text and "查复〔2026〕1号" in text  # reasons page, watermark
        for n in range(1, len(marks) + 1):
            assert f"〔{n}〕" in text
        assert "第三人的居民身份证号码" in text and "刘镇长" in text
    assert THIRD_ADDRESS in extracted(pdf, tmp_path)[0]  # the mark the head removed
    from liuhen.archive.pdfa_check import pdfa_problems
    from liuhen.documents.seal import check_seal

    assert pdfa_problems(pdf) == []  # PDF/A-2b, and still so after the seal
    [issued] = events(store, "seal.certificate_issued")
    assert check_seal(pdf, issued["payload"]["ca_certificate"].encode("ascii")).ok
    assert blob(store, made["saved"].pdf_sha256) == original  # the original is untouched
    assert hashlib.sha256(original).hexdigest() == made["saved"].pdf_sha256
    [made_event] = events(store, "access.copy_made")
    lineage = made_event["payload"]["redaction"]
    assert lineage["version"] == 2 and lineage["count"] == len(marks)
    assert made_event["payload"]["derived_from"] == record_id
    with store.read() as conn:
        row = conn.execute(select(t.records).where(t.records.c.id == copy["id"])).mappings().one()
    assert row["details"]["derived_from"]["record_id"] == record_id
    assert row["details"]["redaction"]["count"] == len(marks)
    with pytest.raises(Conflict, match="已审批办结"):
        confirm_marks(store, made["head"], rid, record_id, marks)
    shoot(pdf, tmp_path)
    assert verify(store, SYSTEM).ok


def qa_mark(store: Any, record_id: str, words: str) -> dict[str, Any]:
    from liuhen.services.access.redactions import texts_of

    with store.read() as conn:
        text = texts_of(store, conn, "测试镇人民政府", [record_id])[record_id]
    [segment] = [s for s in text.segments if s.key == "field.qa"]
    start = segment.text.index(words)
    return {
        "segment": "field.qa",
        "start": start,
        "end": start + len(words),
        "kind": "other",
        "ground": "privacy",
        "reason": "第三人的工作单位，与申请事项无关",
    }


def decide_copy(store: Any, head: Actor, approval_id: str) -> Any:
    """Grant the copy request and run its job (the copies are made by the cluster's runner)."""
    state = decide(
        store,
        head,
        approval_id,
        decision="approved",
        opinion="同意复制，遮盖他人个人信息",
        position="head",
        final=True,
    )
    run_jobs(store)
    return state


def shoot(pdf: bytes, tmp: Path) -> None:
    """The copy's pages as PNG in /work/scratch/shots (to look at), when pdftoppm is here."""
    if shutil.which("pdftoppm") is None or not SHOTS.parent.exists():
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = tmp / "shot.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "100", str(path), str(SHOTS / "redacted-copy")])


def test_a_plain_text_record_is_set_again_and_an_uploaded_pdf_cannot_be_marked(store, tmp_path):
    from tests.factories import make_case_with_files

    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record

    ids = make_case_with_files(store, tmp_path)
    head = make_user(store, "liuzhang", "head", agency_id=ids["agency"], display_name="刘镇长")
    scan = tmp_path / "扫描件.pdf"
    scan.write_bytes(blob_of_pdf())
    stored = store_file(store, SYSTEM, scan)
    uploaded = add_record(
        store,
        SYSTEM,
        case_id=ids["case"],
        act_id=ids["act"],
        kind="text",
        doc_kind="inspection_record",
        title="现场检查笔录（扫描件）",
        details={"made_at": T0.isoformat(), "officer_ids": [ids["o1"], ids["o2"]]},
        files=[AttachedFile(stored.sha256, "扫描件.pdf", "application/pdf")],
    )
    rid = register_request(
        store,
        SYSTEM,
        case_id=ids["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[ids["record"], uploaded],
        purpose="诉讼需要",
    )
    request = get_request(store, head.actor, rid)
    sources = {k: v["source"] for k, v in request.redaction["records"].items()}
    assert sources == {ids["record"]: "text", uploaded: "none"}
    mark = {"segment": "text", "start": 0, "end": 1, "kind": "other", "ground": "privacy"}
    with pytest.raises(InvalidInput) as refused:
        confirm_marks(store, head.actor, rid, uploaded, [{**mark, "reason": "他人信息"}])
    assert refused.value.details[0].startswith("marks: 该记录是上传的文件")
    assert "不能遮盖" in refused.value.details[0] and redaction_rows(store) == 0
    confirm_marks(store, head.actor, rid, uploaded, [])  # reviewed: nothing to cover
    words = "堆放货架"
    start = "现场检查笔录：店外堆放货架。".index(words)
    confirm_marks(
        store,
        head.actor,
        rid,
        ids["record"],
        [{**mark, "start": start, "end": start + len(words), "reason": "涉及他人经营信息"}],
    )
    [waiting] = inbox(store, head.actor)
    decide_copy(store, head.actor, waiting.id)
    copies = {c["derived_from"]: c for c in get_request(store, head.actor, rid).copies}
    [f] = copies[ids["record"]]["files"]
    assert f["file_name"] == "笔录_复制件（遮盖）.pdf"
    for text in extracted(blob(store, f["sha256"]), tmp_path):
        assert words not in text and "■■■■〔1〕" in text and "涉及他人经营信息" in text
    assert [g["file_name"] for g in copies[uploaded]["files"]] == ["扫描件_复制件.pdf"]


def blob_of_pdf() -> bytes:
    from liuhen.documents.watermark import text_to_pdf

    return text_to_pdf("扫描件", "店外堆放货架")
