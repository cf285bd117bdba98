"""Party requests to view and copy (查阅/复制申请) through the store, SQLite and PostgreSQL:
registration, the profile's approver, confidential items, refusal, watermarked copies of
documents and video beside untouched originals, and expiring, single-use-counted links."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import av
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from tests.factories import make_user
from tests.helpers import SYSTEM, make_case_with_files, run_jobs

from liuhen.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.media.synthetic import make_recording
from liuhen.services.access.copy_jobs import copy_key, requeue_copies
from liuhen.services.access.queries.requests import get_request, list_requests, request_events
from liuhen.services.access.requests import open_view, register_request
from liuhen.services.access.share_links import issue_link, open_shared, read_shared, revoke_link
from liuhen.services.admin.agency import add_device
from liuhen.services.approvals.queries import inbox
from liuhen.services.approvals.workflow import decide, request_approval
from liuhen.services.archiving.integrity import verify
from liuhen.services.archiving.packages import case_record_files
from liuhen.services.av.ingest import import_av
from liuhen.services.av.versions import link_av
from liuhen.services.cases.bundles import assemble_bundle, case_findings
from liuhen.store import job_rows
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
REQUESTER = {
    "name": "王某",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
    "relation": "party",
    "phone": "13800000000",
}


@pytest.fixture(autouse=True)
def after_the_act(clock: Any) -> None:
    clock.now = T0 + timedelta(hours=2)


def people(store: Any, agency: str) -> dict[str, Actor]:
    """The officer 张三 and the section head (as 李四) are on the case; the head is not."""
    with store.read() as conn:
        officers = dict(
            conn.execute(
                select(t.officers.c.name, t.officers.c.id).where(t.officers.c.agency_id == agency)
            ).all()
        )
    made = {}
    for login, name, role, officer in (
        ("zhangsan", "张三", "officer", officers.get("张三")),
        ("liuzhang", "刘镇长", "head", None),
        ("zhaoke", "赵科长", "section_head", officers.get("李四")),
    ):
        user = make_user(
            store,
            login,
            role,
            agency_id=agency,
            officer_id=officer,
            display_name=name,
            password="Officer-pass-2026",
        )
        made[role] = user.actor
    return made


def blob(store: Any, sha: str) -> bytes:
    with store.blobs.open(sha) as f:
        return f.read()


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)


def ledger(store: Any, action: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events).where(t.ledger_events.c.action == action)
        ).mappings()
        return [dict(r) for r in rows]


def assert_sealed(store: Any, pdf: bytes, fingerprint: str) -> None:
    """The copy carries the agency's seal, whose certificate (and CA) the ledger holds: it
    validates against that CA, and one changed byte or appended bytes make it fail. The
    sealed copy is PDF/A-2b (the offline check of the case file, archive/pdfa_check.py)."""
    from liuhen.archive.pdfa_check import pdfa_problems
    from liuhen.documents.seal import check_seal

    assert pdfa_problems(pdf) == []

    [issued] = ledger(store, "seal.certificate_issued")
    payload = issued["payload"]
    assert payload["fingerprint"] == fingerprint
    ca = payload["ca_certificate"].encode("ascii")
    check = check_seal(pdf, ca)
    assert check.ok, check
    assert payload["agency"] in check.signer
    changed = bytearray(pdf)
    changed[len(pdf) // 3] ^= 0x01
    assert check_seal(bytes(changed), ca).problem == "印章之后文件内容被改动"
    assert check_seal(pdf + b"\n% appended\n", ca).problem == "印章之后文件被追加了内容"


def test_a_copy_request_is_approved_by_the_profiles_approver_and_handed_over(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    original = blob(store, ids["blob"])
    rid = register_request(
        store,
        who["officer"],
        case_id=ids["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[ids["record"]],
        purpose="申请行政复议需要",
    )
    req = get_request(store, who["officer"], rid)
    assert (req.status, req.status_name, req.number) == ("pending", "待审批", "查复〔2026〕1号")
    assert req.approver["citation"] == "000§17" and "机关负责人" in req.approver["names"]
    [waiting] = inbox(store, who["head"])
    assert waiting.kind == "access_request" and waiting.fields["申请编号"] == req.number
    assert "1101**********002X" in waiting.fields["申请人"]  # the credential is masked

    # a section head may not grant it: the profile names the agency's head (000§17)
    with pytest.raises(InvalidInput) as refused:
        decide(
            store,
            who["section_head"],
            waiting.id,
            decision="approved",
            opinion="同意",
            position="section_head",
            final=True,
        )
    assert "000§17" in refused.value.details[0]
    state = decide(
        store,
        who["head"],
        waiting.id,
        decision="approved",
        opinion="同意复制",
        position="head",
        final=True,
    )
    assert state.outcome == "approved"
    req = get_request(store, who["officer"], rid)  # granted: its copies queued, none made yet
    assert req.status == "approved" and req.copies == [] and ledger(store, "access.copy_made") == []
    with store.read() as conn:
        [job] = job_rows.of_kind(conn, "party_copy", state="queued")
    assert job["key"] == copy_key(rid) and job["case_id"] == ids["case"]
    assert job["args"]["actor"]["id"] == who["head"].id  # made as the one who granted it
    assert run_jobs(store) == 1  # any node's runner makes them
    req = get_request(store, who["officer"], rid)
    [copy] = req.copies
    [f] = copy["files"]
    assert f["media_type"] == "application/pdf" and f["file_name"] == "笔录_复制件.pdf"
    text = pdf_text(blob(store, f["sha256"]))
    assert "王某" in text and "查复〔2026〕1号" in text and "2026-11-20" in text
    assert "店外堆放货架" in text
    assert blob(store, ids["blob"]) == original  # the original is untouched
    with store.read() as conn:
        row = conn.execute(select(t.records).where(t.records.c.id == copy["id"])).mappings().one()
    assert row["kind"] == "copy" and row["details"]["derived_from"]["record_id"] == ids["record"]
    assert_sealed(store, blob(store, f["sha256"]), row["details"]["seal"])

    files, _notes = case_record_files(store, ids["case"])  # the case file holds no copies
    assert copy["id"] not in {f.record_id for f in files} and ids["record"] in {
        f.record_id for f in files
    }
    bundle = assemble_bundle(store, ids["case"])
    [entry] = bundle["access_requests"]
    assert entry["decision"]["position"] == "head" and entry["record_ids"] == [ids["record"]]
    found = {f.rule_id for f in case_findings(store, ids["case"], store.clock())}
    assert not found & {"copy-approval", "access-confidential", "approval-roles"}, found

    link = issue_link(store, who["officer"], rid)
    assert len(link.token) >= 40 and link.max_uses == store.settings.share_link_uses
    with store.read() as conn:
        stored = conn.execute(select(t.share_links)).mappings().one()
    assert stored["token_hash"] != link.token and link.token not in str(dict(stored))
    assert get_request(store, who["officer"], rid).status == "delivered"
    shown = open_shared(store, link.token, client="127.0.0.1")
    assert [s.file_name for s in shown.files] == ["笔录_复制件.pdf"]
    got = read_shared(store, link.token, 1)
    assert b"".join(got.chunks) == blob(store, f["sha256"])
    assert len(ledger(store, "share.downloaded")) == 1

    # time moves past the expiry: the link is gone, and the attempt is on the ledger
    store.clock.now += timedelta(days=store.settings.share_link_days, seconds=1)
    with pytest.raises(Gone, match="已过期"):
        open_shared(store, link.token)
    with pytest.raises(Gone):
        read_shared(store, link.token, 1)
    assert len(ledger(store, "share.refused")) == 2
    req = get_request(store, who["officer"], rid)
    assert (req.status, req.status_name) == ("expired", "链接已过期")
    actions = [e["action"] for e in request_events(store, req)]
    assert actions == [
        "access.requested",
        "approval.requested",
        "approval.decided",
        "access.granted",
        "access.copy_made",
        "share.issued",
        "share.viewed",
        "share.downloaded",
        "share.refused",
        "share.refused",
    ]
    with pytest.raises(NotFound):
        open_shared(store, link.token + "x")
    assert verify(store, SYSTEM).ok


def approved_link(store: Any, tmp_path: Path) -> tuple[Any, dict[str, Actor], str]:
    """A link issued for an approved copy request, the people of its case, the request."""
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    rid = register_request(
        store,
        who["officer"],
        case_id=ids["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[ids["record"]],
        purpose="诉讼需要",
    )
    [waiting] = inbox(store, who["head"])
    decide(
        store,
        who["head"],
        waiting.id,
        decision="approved",
        opinion="同意",
        position="principal_head",
        final=True,
    )
    run_jobs(store)
    return issue_link(store, who["officer"], rid), who, rid


def test_a_link_ends_after_its_uses_and_when_revoked(store, tmp_path):
    link, who, rid = approved_link(store, tmp_path)
    for _ in range(store.settings.share_link_uses):
        b"".join(read_shared(store, link.token, 1).chunks)
    with pytest.raises(Gone, match="次数已用完"):
        read_shared(store, link.token, 1)
    second = issue_link(store, who["officer"], rid)
    assert open_shared(store, second.token).uses_left == store.settings.share_link_uses
    revoke_link(store, who["officer"], second.id, "当事人称链接泄露")
    with pytest.raises(Gone, match="撤销"):
        open_shared(store, second.token)
    with pytest.raises(Conflict, match="已被撤销"):  # once: a second revocation is refused
        revoke_link(store, who["officer"], second.id, "重复撤销")
    assert get_request(store, who["officer"], rid).status == "expired"


def test_a_refusal_is_recorded_with_its_reasons_and_no_copy_is_made(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    rid = register_request(
        store,
        who["officer"],
        case_id=ids["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[ids["record"]],
        purpose="了解情况",
    )
    [waiting] = inbox(store, who["head"])
    decide(
        store,
        who["head"],
        waiting.id,
        decision="rejected",
        opinion="申请人与本案无利害关系，不予复制",
        position="head",
        final=False,
    )
    req = get_request(store, who["officer"], rid)
    assert (req.status, req.copies) == ("refused", [])
    assert req.refusal == "申请人与本案无利害关系，不予复制"
    [event] = ledger(store, "access.refused")
    assert event["payload"]["reasons"] == "申请人与本案无利害关系，不予复制"
    with pytest.raises(Conflict):
        issue_link(store, who["officer"], rid)


def test_confidential_items_are_excluded_with_a_reason(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    with store.read() as conn:
        other = conn.execute(select(t.records.c.id)).scalars().all()
    rid = register_request(
        store,
        who["officer"],
        case_id=ids["case"],
        kind="view",
        requester=REQUESTER,
        record_ids=other,
        purpose="核对笔录",
        exclusions={ids["record"]: "涉及第三人个人隐私"},
    )
    req = get_request(store, who["officer"], rid)
    [item] = req.excluded
    assert item["reason"] == "涉及第三人个人隐私" and req.included == []
    [waiting] = inbox(store, who["head"])
    assert "涉及第三人个人隐私" in waiting.fields["不予提供"]
    [event] = ledger(store, "access.requested")
    assert event["payload"]["excluded"] == {ids["record"]: "涉及第三人个人隐私"}


def test_a_case_marked_confidential_offers_nothing(store, tmp_path):
    from liuhen.services.cases.cases import open_case

    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    secret = open_case(  # opened by the officer: the officer's own case
        store,
        who["officer"],
        agency_id=ids["agency"],
        number="测试〔2026〕2号",
        title="涉密案",
        procedure="general",
        party={"kind": "person", "name": "李某"},
        opened_at=T0,
        confidentiality=["commercial_secret"],
    )
    from liuhen.services.cases.records import add_record

    rec = add_record(
        store,
        SYSTEM,
        case_id=secret,
        act_id=None,
        kind="text",
        doc_kind="inquiry_record",
        title="询问笔录",
        details={"made_at": T0.isoformat(), "officer_ids": []},
    )
    rid = register_request(
        store,
        who["officer"],
        case_id=secret,
        kind="copy",
        requester=REQUESTER,
        record_ids=[rec],
        purpose="诉讼",
    )
    [item] = get_request(store, who["officer"], rid).excluded
    assert "商业秘密" in item["reason"] and "000§17" in item["reason"]


def test_bad_registrations_name_the_field_and_save_nothing(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    with pytest.raises(InvalidInput) as bad:
        register_request(
            store,
            who["officer"],
            case_id=ids["case"],
            kind="print",
            requester={**REQUESTER, "id_number": "110105194912310021", "relation": ""},
            record_ids=[],
            purpose=" ",
        )
    keys = {d.split(":")[0] for d in bad.value.details}
    assert keys == {"kind", "purpose", "record_ids", "requester.id_number", "requester.relation"}
    with pytest.raises(InvalidInput, match="查阅/复制申请登记有误") as unknown:
        register_request(
            store,
            who["officer"],
            case_id=ids["case"],
            kind="copy",
            requester=REQUESTER,
            record_ids=["no-such-record"],
            purpose="诉讼",
        )
    assert "no-such-record" in unknown.value.details[0]
    with pytest.raises(PermissionDenied):
        register_request(
            store,
            who["head"],
            case_id=ids["case"],
            kind="copy",
            requester=REQUESTER,
            record_ids=[ids["record"]],
            purpose="诉讼",
        )
    with pytest.raises(InvalidInput, match="查阅/复制申请"):
        request_approval(
            store, who["officer"], case_id=ids["case"], kind="access_request", opinion="x"
        )
    with store.read() as conn:
        assert conn.execute(select(t.access_requests)).first() is None
        assert conn.execute(select(t.approvals)).first() is None


def test_a_view_request_opens_a_logged_read_only_view(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    rid = register_request(
        store,
        who["officer"],
        case_id=ids["case"],
        kind="view",
        requester=REQUESTER,
        record_ids=[ids["record"]],
        purpose="核对笔录内容",
    )
    with pytest.raises(Conflict):  # not yet granted: a state, not a want of permission
        open_view(store, who["officer"], rid)
    [waiting] = inbox(store, who["head"])
    decide(
        store,
        who["head"],
        waiting.id,
        decision="approved",
        opinion="同意查阅",
        position="head",
        final=True,
    )
    assert get_request(store, who["officer"], rid).status == "approved"
    shown = open_view(store, who["officer"], rid)
    assert [i["record_id"] for i in shown.included] == [ids["record"]]
    assert get_request(store, who["officer"], rid).status == "delivered"
    assert ledger(store, "access.viewed")[0]["payload"]["records"] == [ids["record"]]
    assert [r.id for r in list_requests(store, who["officer"], ids["case"])] == [rid]


def _linked_av(store: Any, ids: dict[str, str], files: list[Path]) -> str:
    """``files`` imported from a docking station and linked to the case's act."""
    with store.read() as conn:
        officer = conn.execute(select(t.officers)).mappings().first()
    add_device(
        store, SYSTEM, agency_id=ids["agency"], kind="body_camera", serial_no="DSJ-V9-0001",
        assigned_officer_id=officer["id"],
    )  # fmt: skip
    custodian = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))
    report = import_av(store, custodian, files, ImportOptions())
    assert report.records, [(f.status, f.reason) for f in report.files]
    return link_av(
        store,
        custodian,
        report.records[0]["record_id"],
        case_id=ids["case"],
        act_id=ids["act"],
        officer_id=officer["certificate_no"],
    )


def _granted_copy(store: Any, who: dict[str, Any], case_id: str, record_id: str) -> dict:
    """A party's copy request for ``record_id``, granted by the head: the copy made."""
    rid = register_request(
        store,
        who["officer"],
        case_id=case_id,
        kind="copy",
        requester=REQUESTER,
        record_ids=[record_id],
        purpose="诉讼",
    )
    [waiting] = inbox(store, who["head"])
    decide(
        store, who["head"], waiting.id, decision="approved", opinion="同意", position="head",
        final=True,
    )  # fmt: skip
    run_jobs(store)
    [copy] = get_request(store, who["officer"], rid).copies
    return copy


def test_a_video_copy_has_the_caption_burnt_in_and_the_original_is_unchanged(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    footage = make_recording(tmp_path / "dock", start=T0, seconds=(2.0,), width=320, height=240)
    linked = _linked_av(store, ids, footage)
    with store.read() as conn:
        seg_sha = conn.execute(
            select(t.record_files.c.blob_sha256).where(t.record_files.c.record_id == linked)
        ).scalar_one()
    before = blob(store, seg_sha)
    [f] = _granted_copy(store, who, ids["case"], linked)["files"]
    assert f["media_type"] == "video/mp4"
    assert blob(store, seg_sha) == before
    with store.blobs.open(f["sha256"]) as data, av.open(data) as container:
        frame = next(container.decode(video=0))
        picture = frame.to_image()
    # the bottom strip carries the caption: dark band with bright text
    strip = picture.crop((0, picture.height - 20, picture.width, picture.height)).convert("L")
    darkest, brightest = strip.getextrema()
    assert brightest > 200 and darkest < 60
    assert verify(store, SYSTEM).ok


def test_an_audio_copy_carries_its_mark_on_a_still_card_for_the_whole_sound(store, tmp_path):
    """A recorded inquiry (sound only) has no picture to mark: the copy is an MP4 whose
    picture is a card with the requester, number and date, as long as the sound."""
    from liuhen.media.synthetic import make_audio

    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    dock = tmp_path / "dock"
    dock.mkdir()
    sound = make_audio(dock / "DSJ-V9-0001_20261120090000.m4a", seconds=4.0, creation_time=T0)
    copy = _granted_copy(store, who, ids["case"], _linked_av(store, ids, [sound]))
    from liuhen.services.access.footage_review import footage_rows

    # no picture to cover: the request lists no 审查录像遮盖 for it
    [request] = list_requests(store, who["officer"], ids["case"])
    assert footage_rows(store, request) == []
    [f] = copy["files"]
    assert f["media_type"] == "video/mp4" and f["file_name"].endswith("_复制件.mp4")
    with store.blobs.open(f["sha256"]) as data, av.open(data) as container:
        assert container.metadata["comment"] == copy["watermark"]
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert float(audio.duration * audio.time_base) == pytest.approx(4.0, abs=0.1)
        assert float(video.duration * video.time_base) >= 4.0  # the card stays up throughout
        card = next(container.decode(video=0)).to_image().convert("L")
    darkest, brightest = card.getextrema()
    assert brightest > 200 and darkest < 80  # light words on the dark card
    assert verify(store, SYSTEM).ok


def _forestry_case_with_a_record(store: Any, number: str) -> tuple[dict[str, Actor], str, str]:
    """A forestry bureau's people, a case the officer opened, and its 询问笔录."""
    from liuhen.services.admin.agency import create_agency
    from liuhen.services.cases.cases import open_case
    from liuhen.services.cases.records import add_record

    agency = create_agency(store, SYSTEM, name="某县林业局", profile_id="shanxi-forestry")
    who = people(store, agency)
    case = open_case(  # opened by the officer: the officer's own case
        store,
        who["officer"],
        agency_id=agency,
        number=number,
        title="某案",
        procedure="general",
        party={"kind": "person", "name": "王某"},
        opened_at=T0,
    )
    rec = add_record(
        store,
        SYSTEM,
        case_id=case,
        act_id=None,
        kind="text",
        doc_kind="inquiry_record",
        title="询问笔录",
        details={"made_at": T0.isoformat(), "officer_ids": []},
    )
    return who, case, rec


def test_the_compliance_checks_read_registered_requests(store, tmp_path):
    """Under 004§37 only the 局主要负责人 (or an authorised deputy) may grant: another
    capacity is refused at decision time, and the granted request reaches the compliance
    checks from the store (not only from an imported bundle) without a finding."""
    who, case, rec = _forestry_case_with_a_record(store, "晋林罚立〔2026〕40号")
    register_request(
        store,
        who["officer"],
        case_id=case,
        kind="view",
        requester=REQUESTER,
        record_ids=[rec],
        purpose="核对",
    )
    [waiting] = inbox(store, who["head"])
    with pytest.raises(InvalidInput, match="004§37"):
        decide(
            store,
            who["head"],
            waiting.id,
            decision="approved",
            opinion="同意",
            position="head",
            final=True,
        )
    decide(
        store,
        who["head"],
        waiting.id,
        decision="approved",
        opinion="同意",
        position="principal_head",
        final=True,
    )
    found = {f.rule_id for f in case_findings(store, case, store.clock())}
    assert "view-approval" not in found


def test_a_record_that_cannot_carry_a_watermark_is_reported_and_not_copied(store, tmp_path):
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record

    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    odd = tmp_path / "现场照片.zip"
    odd.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    stored = store_file(store, SYSTEM, odd)
    rec = add_record(
        store,
        SYSTEM,
        case_id=ids["case"],
        act_id=None,
        kind="text",
        doc_kind="inquiry_record",
        title="询问笔录附件",
        details={"made_at": T0.isoformat(), "officer_ids": []},
        files=[AttachedFile(stored.sha256, odd.name, "application/zip")],
    )
    rid = register_request(
        store,
        who["officer"],
        case_id=ids["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[ids["record"], rec],
        purpose="诉讼",
    )
    [waiting] = inbox(store, who["head"])
    decide(
        store,
        who["head"],
        waiting.id,
        decision="approved",
        opinion="同意",
        position="head",
        final=True,
    )
    assert run_jobs(store) == 1
    req = get_request(store, who["officer"], rid)
    assert req.status == "approved" and [c["derived_from"] for c in req.copies] == [ids["record"]]
    assert [i["record_id"] for i in req.missing_copies] == [rec]
    assert "没有可加注水印的文件" in req.copy_failed
    [failed] = ledger(store, "access.copy_failed")
    assert failed["subject_id"] == rid
    with store.read() as conn:
        [job] = job_rows.of_kind(conn, "party_copy")
    assert job["state"] == "failed" and "询问笔录附件" in job["error"]  # the page shows it
    assert requeue_copies(store, who["officer"], rid)  # "制作复制件" again: a new job
    assert not requeue_copies(store, who["officer"], rid)  # it waits already: one job
    assert run_jobs(store) == 1  # a retry makes nothing twice
    assert len(get_request(store, who["officer"], rid).copies) == 1
    assert len(ledger(store, "access.copy_failed")) == 2
    assert issue_link(store, who["officer"], rid).max_uses >= 1  # what exists is handed over


def test_a_reason_typed_with_its_own_full_stop_reads_once_in_the_opinion(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    register_request(
        store,
        who["officer"],
        case_id=ids["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[ids["record"]],
        purpose="申请行政复议需要。",
    )
    [waiting] = inbox(store, who["head"])
    with store.engine.connect() as conn:
        opinion = conn.execute(
            select(t.approval_steps.c.opinion).where(t.approval_steps.c.approval_id == waiting.id)
        ).scalar_one()
    assert opinion == "王某申请复制本案执法记录，理由：申请行政复议需要。请审批。"
    assert "。。" not in opinion


def test_a_request_for_a_record_corrected_since_names_its_current_version(store, tmp_path):
    """A request names the version it was made for; a correction (or a signature on the
    screen) made since is the same record: the case still assembles (its page opens, its
    findings are computed) and the bundle's request names the current version."""
    from liuhen.services.cases.bundles import assemble_bundle
    from liuhen.services.cases.records import correct_record

    who, case, rec = _forestry_case_with_a_record(store, "晋林罚立〔2026〕41号")
    register_request(
        store, who["officer"], case_id=case, kind="view", requester=REQUESTER,
        record_ids=[rec], purpose="核对",
    )  # fmt: skip
    newer = correct_record(
        store,
        who["officer"],
        record_id=rec,
        details={"made_at": (T0 + timedelta(minutes=5)).isoformat(), "officer_ids": []},
        reason="笔误",
    )
    bundle = assemble_bundle(store, case)
    [request] = bundle["access_requests"]
    assert request["record_ids"] == [newer] and newer != rec
    case_findings(store, case, store.clock())  # the bundle checks pass: no BundleInvalid


def test_copies_whose_node_died_are_made_by_another_node(store, tmp_path):
    """The node making a granted request's copies stops renewing its lease (it died): after
    the lease another node's runner makes them, once."""
    from datetime import timedelta as td

    ids = make_case_with_files(store, tmp_path)
    who = people(store, ids["agency"])
    register_request(
        store, who["officer"], case_id=ids["case"], kind="copy", requester=REQUESTER,
        record_ids=[ids["record"]], purpose="诉讼需要",
    )  # fmt: skip
    [waiting] = inbox(store, who["head"])
    decide(store, who["head"], waiting.id, decision="approved", opinion="同意",
           position="head", final=True)  # fmt: skip
    dying = job_rows.claim(store.engine, store.clock(), "node-x", td(minutes=2), ["party_copy"])
    assert dying is not None and dying["attempts"] == 1
    assert run_jobs(store) == 0  # node-x holds it
    store.clock.advance(minutes=3)  # and wrote nothing since
    assert run_jobs(store) == 1
    with store.read() as conn:
        [job] = job_rows.of_kind(conn, "party_copy")
    assert (job["state"], job["attempts"]) == ("done", 2)
    assert len(ledger(store, "access.copy_made")) == 1
    assert verify(store, SYSTEM).ok
