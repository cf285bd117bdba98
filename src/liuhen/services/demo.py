"""The demo agency: a township with its people, body cameras and a first recorded case.

Demo accounts get random passwords, written to ``<data dir>/demo-accounts.txt`` (mode
0600) and returned, never fixed in code.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from liuhen.ledger.events import Actor
from liuhen.media.synthetic import make_video
from liuhen.services.admin.agency import add_device, add_officer, create_agency
from liuhen.services.admin.setup import generate_password
from liuhen.services.admin.users import add_user
from liuhen.services.cases.bundles import import_bundle
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.files import store_file
from liuhen.services.cases.records import AttachedFile, add_record, record_act
from liuhen.services.demo_cases import TOWNSHIP, demo_bundles
from liuhen.services.permissions import require
from liuhen.store import tables as t
from liuhen.store.store import Store

DEMO_AGENCY = TOWNSHIP["name"]

_PEOPLE = (
    # username, name, roles, section, certificate number or None
    ("zhangjg", "张建国", ["officer"], "综合行政执法队", "14010020230001"),
    ("liming", "李明", ["officer"], "综合行政执法队", "14010020230002"),
    ("zhaokz", "赵振华", ["section_head"], "综合行政执法队", "14010020190007"),
    ("wangfang", "王芳", ["legal_reviewer"], "司法所（法制审核）", "14010020210011"),
    ("liuzz", "刘志强", ["head"], "镇领导", None),
    ("chenda", "陈丹", ["custodian"], "党政综合办公室", None),
    ("sunjd", "孙建东", ["supervisor"], "纪检监察", None),
)


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    agency_id: str
    accounts: dict[str, str]
    accounts_file: Path | None


def demo_loaded(store: Store) -> str | None:
    with store.read() as conn:
        return conn.execute(
            select(t.agencies.c.id).where(t.agencies.c.name == DEMO_AGENCY)
        ).scalar()


def load_demo(store: Store, actor: Actor) -> DemoResult:
    require(actor, "demo.load")
    existing = demo_loaded(store)
    if existing:
        return DemoResult(loaded=False, agency_id=existing, accounts={}, accounts_file=None)
    tz = store.settings.tz
    agency_id = create_agency(
        store, actor, name=DEMO_AGENCY, profile_id=TOWNSHIP["profile"], region="山西省示范县"
    )
    accounts: dict[str, str] = {}
    officers: dict[str, str] = {}
    actors: dict[str, Actor] = {}
    for username, name, roles, section, cert in _PEOPLE:
        officer_id = None
        if cert:
            officer_id = add_officer(
                store, actor, agency_id=agency_id, name=name, certificate_no=cert, section=section
            )
            officers[username] = officer_id
        password = generate_password()
        created = add_user(
            store,
            actor,
            username=username,
            password=password,
            display_name=name,
            roles=roles,
            agency_id=agency_id,
            section=section,
            officer_id=officer_id,
        )
        accounts[username] = password
        actors[username] = created.actor
    camera = add_device(
        store,
        actor,
        agency_id=agency_id,
        kind="body_camera",
        serial_no="DSJ-V9-0001",
        model="DSJ-V9 执法记录仪",
        assigned_officer_id=officers["zhangjg"],
    )
    add_device(
        store,
        actor,
        agency_id=agency_id,
        kind="body_camera",
        serial_no="DSJ-V9-0002",
        model="DSJ-V9 执法记录仪",
        assigned_officer_id=officers["liming"],
    )
    add_device(
        store,
        actor,
        agency_id=agency_id,
        kind="handheld_terminal",
        serial_no="ZF-T3-0101",
        model="手持执法终端",
    )
    # The case is opened and recorded by the demo officer, as it would be in real use.
    _first_case(store, actors["zhangjg"], agency_id, officers, camera, tz)
    for bundle in demo_bundles():
        import_bundle(store, actor, bundle)
    path = _write_accounts(store.settings.data_dir, accounts)
    return DemoResult(loaded=True, agency_id=agency_id, accounts=accounts, accounts_file=path)


def _first_case(
    store: Store, actor: Actor, agency_id: str, officers: dict[str, str], camera: str, tz: object
) -> None:
    """An open case recorded through the services, with a real stored video and document."""
    start = datetime(2026, 11, 20, 9, 30, tzinfo=tz)  # type: ignore[arg-type]
    case_id = open_case(
        store,
        actor,
        agency_id=agency_id,
        number="示镇综执立〔2026〕12号",
        title="示范县老街食杂店占道经营案",
        procedure="general",
        party={
            "kind": "organisation",
            "name": "示范县老街食杂店",
            "legal_representative": "王某某",
            "address": "示范镇老街18号",
        },
        opened_at=start - timedelta(hours=1),
        section="综合行政执法队",
    )
    crew = [officers["zhangjg"], officers["liming"]]
    act_id = record_act(
        store,
        actor,
        case_id=case_id,
        kind="inspection",
        started_at=start,
        ended_at=start + timedelta(minutes=20),
        place="示范镇老街18号门前",
        officer_ids=crew,
        details={"certificates_shown": True},
    )
    note = (
        "现场检查（勘验）笔录\n"
        f"检查时间：{start:%Y年%m月%d日 %H时%M分}至{start + timedelta(minutes=20):%H时%M分}\n"
        "检查地点：示范镇老街18号门前\n"
        "检查人员：张建国（执法证号14010020230001）、李明（执法证号14010020230002），已出示执法证件\n"
        "当事人：示范县老街食杂店，负责人王某某\n"
        "现场情况：店外人行道堆放货架三组，占用人行道约6平方米。\n"
        "当事人意见：情况属实。\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        text_path = Path(tmp) / "现场检查笔录.txt"
        text_path.write_text(note, encoding="utf-8")
        text_blob = store_file(store, actor, text_path)
        video_path = make_video(
            Path(tmp) / "DSJ-V9-0001_20261120092900.mp4",
            seconds=22 * 60,  # the whole inspection, a minute either side, as the segment says
            fps=1,
            width=160,
            height=120,
            creation_time=start - timedelta(minutes=1),
            title="老街占道检查",
        )
        video_blob = store_file(store, actor, video_path)
    end = start + timedelta(minutes=20)
    add_record(
        store,
        actor,
        case_id=case_id,
        act_id=act_id,
        kind="text",
        doc_kind="inspection_record",
        title="现场检查（勘验）笔录",
        details={
            "made_at": end.isoformat(),
            "number": "示镇综执检〔2026〕40号",
            "started_at": start.isoformat(),
            "ended_at": end.isoformat(),
            "officer_ids": crew,
            "certificates_shown": True,
            "fields": {
                "party_name": "示范县老街食杂店",
                "place": "示范镇老街18号门前",
                "findings": "店外人行道堆放货架三组，占用人行道约6平方米。",
            },
            "signatures": [
                {"role": "officer", "name": "张建国", "officer_id": crew[0]},
                {"role": "officer", "name": "李明", "officer_id": crew[1]},
                {"role": "party", "name": "王某某（负责人）"},
            ],
        },
        files=[AttachedFile(text_blob.sha256, "现场检查笔录.txt", "text/plain; charset=utf-8")],
    )
    add_record(
        store,
        actor,
        case_id=case_id,
        act_id=act_id,
        kind="av",
        doc_kind="av",
        title="现场检查执法记录仪视频",
        details={
            "device_id": camera,
            "officer_id": crew[0],
            "segments": [
                {
                    "start": (start - timedelta(minutes=1)).isoformat(),
                    "end": (end + timedelta(minutes=1)).isoformat(),
                    "sha256": video_blob.sha256,
                    "file_name": "DSJ-V9-0001_20261120092900.mp4",
                }
            ],
            "stored_at": (end + timedelta(hours=2)).isoformat(),
            "custodian": "陈丹（音像管理员）",
            "precheck": {
                "at": (start - timedelta(minutes=10)).isoformat(),
                "items": ["battery", "function", "storage"],
            },
            "opening_statement": {
                "at": start.isoformat(),
                "elements": [
                    "act",
                    "notice",
                    "officers",
                    "place",
                    "reason",
                    "stages",
                    "target",
                    "time",
                ],
            },
            "retention": {"term": "case"},
        },
        files=[
            AttachedFile(
                video_blob.sha256, "DSJ-V9-0001_20261120092900.mp4", "video/mp4", role="segment"
            )
        ],
    )


def _write_accounts(data_dir: Path, accounts: dict[str, str]) -> Path:
    path = data_dir / "demo-accounts.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("# 演示账号（随机密码，仅供演示）\n")
        for username, password in accounts.items():
            out.write(f"{username}\t{password}\n")
    return path
