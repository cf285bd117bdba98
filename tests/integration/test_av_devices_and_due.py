"""Devices, their events in the case bundle and the findings they feed; the timeline of a
recording cut in three segments with a 4-minute gap; unlinked footage; uploads due and late
uploads (SQLite and PostgreSQL, real media from PyAV)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.media.synthetic import make_recording
from liuhen.services.admin.agency import add_officer, create_agency
from liuhen.services.admin.users import add_user
from liuhen.services.av.devices import list_devices, record_device_event, register_device
from liuhen.services.av.due import av_uploads_due
from liuhen.services.av.ingest import import_av
from liuhen.services.av.timeline import parse_clock
from liuhen.services.av.unlinked import unlinked_footage
from liuhen.services.av.versions import link_av
from liuhen.services.av.views import av_page, case_av
from liuhen.services.cases.bundles import assemble_bundle, case_findings
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.records import record_act
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # a Friday; the act in make_case_with_files
CUSTODIAN = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))
OFFICER = Actor(id=None, label="张三", roles=("officer",))


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three 2-second segments, the third after a 4-minute pause."""
    return make_recording(tmp_path_factory.mktemp("dock"), start=T0, pauses=(0, 240))


@pytest.fixture(autouse=True)
def after_the_act(clock: Any) -> None:
    clock.now = T0 + timedelta(hours=1)


def officer(store: Any) -> str:
    with store.read() as conn:
        found = conn.execute(select(t.officers.c.id).where(t.officers.c.name == "张三")).scalar()
    return str(found)


def linked(store: Any, ids: dict[str, str], footage: list[Path]) -> str:
    report = import_av(store, CUSTODIAN, footage)
    record_id = report.records[0]["record_id"]
    return link_av(
        store,
        CUSTODIAN,
        record_id,
        case_id=ids["case"],
        act_id=ids["act"],
        officer_id=officer(store),
    )


def rule_ids(store: Any, case_id: str, now: datetime) -> set[str]:
    return {f.rule_id for f in case_findings(store, case_id, now)}


def test_devices_are_registered_and_bad_input_saves_nothing(store):
    ids = make_case_with_files(store, Path("/tmp"), number="设备〔2026〕1号")
    device = register_device(store, CUSTODIAN, kind="body_camera", serial_no=" DSJ-1 ")
    with store.read() as conn:
        count = conn.execute(select(func.count()).select_from(t.device_events)).scalar()
    with pytest.raises(Conflict, match="已登记"):  # stored state, not bad input: 409
        register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-1")
    for call, message in (
        (lambda: register_device(store, CUSTODIAN, kind="drone", serial_no="X"), "设备类型"),
        (lambda: register_device(store, CUSTODIAN, kind="camera", serial_no=" "), "序列号"),
        (lambda: record_device_event(store, CUSTODIAN, device, kind="check", at=T0,
                                     act_id=ids["act"]), "请勾选"),
        (lambda: record_device_event(store, CUSTODIAN, device, kind="check", at=T0,
                                     items=["battery"]), "执法环节"),
        (lambda: record_device_event(store, CUSTODIAN, device, kind="fault", at=T0), "请说明"),
        (lambda: record_device_event(store, CUSTODIAN, device, kind="check",
                                     at=T0 + timedelta(days=1), act_id=ids["act"],
                                     items=["battery"]), "晚于现在"),
        (lambda: record_device_event(store, CUSTODIAN, device, kind="check", at=T0,
                                     act_id=ids["act"], items=["wifi"]), "未知的检查项目"),
    ):  # fmt: skip
        with pytest.raises(InvalidInput, match=message):
            call()
    with pytest.raises(NotFound):
        record_device_event(store, CUSTODIAN, "nope", kind="fault", at=T0, note="坏了")
    with pytest.raises(PermissionDenied):
        register_device(store, OFFICER, kind="camera", serial_no="C-2")
    with pytest.raises(PermissionDenied):  # officers check and report faults, not maintain
        record_device_event(store, OFFICER, device, kind="maintenance", at=T0, note="保养")
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.device_events)).scalar() == count
    record_device_event(store, OFFICER, device, kind="fault", at=T0, note="无法开机")
    [state] = list_devices(store, CUSTODIAN)
    assert state.serial_no == "DSJ-1" and state.faulty and state.events[0]["note"] == "无法开机"
    record_device_event(
        store, CUSTODIAN, device, kind="repair", at=T0 + timedelta(minutes=5), note="更换电池仓"
    )
    assert not list_devices(store, CUSTODIAN)[0].faulty


def test_a_check_per_act_satisfies_000_12_and_a_fault_is_a_finding(store, footage, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    device = register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001")
    av = linked(store, ids, footage)
    now = T0 + timedelta(hours=2)
    assert "av-precheck" in rule_ids(store, ids["case"], now)
    record_device_event(
        store, OFFICER, device, kind="check", at=T0 - timedelta(minutes=10), act_id=ids["act"],
        items=["function", "battery", "storage"],
    )  # fmt: skip
    bundle = assemble_bundle(store, ids["case"])
    [dev] = bundle["devices"]
    assert dev["events"][0]["kind"] == "check" and dev["events"][0]["act_id"] == ids["act"]
    assert "av-precheck" not in rule_ids(store, ids["case"], now)
    assert "av-device-condition" not in rule_ids(store, ids["case"], now)
    record_device_event(
        store, OFFICER, device, kind="fault", at=T0 - timedelta(days=3), note="镜头起雾"
    )
    findings = [
        f for f in case_findings(store, ids["case"], now) if f.rule_id == "av-device-condition"
    ]
    assert [f.subject.id for f in findings] == [av] and findings[0].citation == "000§21"
    assert "镜头起雾" not in findings[0].message and "未登记修复" in findings[0].message
    record_device_event(store, CUSTODIAN, device, kind="repair", at=T0 - timedelta(days=1),
                        note="已除雾")  # fmt: skip
    assert "av-device-condition" not in rule_ids(store, ids["case"], now)


def test_a_device_that_is_not_explosion_proof_in_an_explosive_area_is_a_finding(
    store, footage, tmp_path
):
    agency = create_agency(store, SYSTEM, name="某县林业局", profile_id="shanxi-forestry")
    o1 = add_officer(store, SYSTEM, agency_id=agency, name="张伟", certificate_no="14010001")
    o2 = add_officer(store, SYSTEM, agency_id=agency, name="李娜", certificate_no="14010002")
    case = open_case(
        store, SYSTEM, agency_id=agency, number="晋林检〔2026〕3号", title="加油站检查",
        procedure="inspection", party={"kind": "organisation", "name": "某加油站"}, opened_at=T0,
    )  # fmt: skip
    act = record_act(
        store, SYSTEM, case_id=case, kind="inspection", started_at=T0,
        ended_at=T0 + timedelta(minutes=6), place="储油区", officer_ids=[o1, o2],
        details={"flags": ["explosive_area", "problems_found"]},
    )  # fmt: skip
    register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001")
    report = import_av(store, CUSTODIAN, footage)
    link_av(store, CUSTODIAN, report.records[0]["record_id"], case_id=case, act_id=act,
            officer_id=o1)  # fmt: skip
    findings = [
        f for f in case_findings(store, case, T0 + timedelta(hours=2))
        if f.rule_id == "av-not-suitable"
    ]  # fmt: skip
    assert findings and findings[0].citation == "004§6" and "防爆" in findings[0].message


def test_the_timeline_puts_three_segments_and_the_gap_to_scale(store, footage, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001")
    av = linked(store, ids, footage)
    [item] = case_av(store, ids["case"])
    line = item["timeline"]
    assert item["record"]["id"] == av and [s.position for s in line.segments] == [1, 2, 3]
    assert line.seconds == pytest.approx(246, abs=0.5)
    [gap] = line.gaps
    assert gap.seconds == pytest.approx(240, abs=0.2) and gap.interruption is None
    assert gap.bar.w == pytest.approx(1000 * 240 / 246, abs=2)
    assert line.segments[2].bar.x == pytest.approx(1000 * 244 / 246, abs=2)
    assert line.locate(245) == (3, pytest.approx(1, abs=0.1))
    assert line.locate(100) is None  # inside the gap
    assert parse_clock("4:05") == 245 and parse_clock("0:04:05") == 245
    page = av_page(store, CUSTODIAN, av)
    cov = page["coverage"]
    assert cov["complete"] is False and len(cov["uncovered"]) == 2
    assert cov["ends_early_seconds"] == pytest.approx(30 * 60 - 246, abs=1)


def test_unlinked_footage_is_kept_and_becomes_a_finding_after_the_profile_time(
    store, footage, tmp_path, clock
):
    ids = make_case_with_files(store, tmp_path)
    report = import_av(store, CUSTODIAN, footage)
    record_id = report.records[0]["record_id"]
    [item] = unlinked_footage(store, CUSTODIAN, clock())
    assert item.id == record_id and item.status == "pending" and item.citation == "000§16"
    assert item.due is not None and item.due > clock()
    clock.advance(days=10)
    [item] = unlinked_footage(store, CUSTODIAN, clock())
    assert item.status == "violation" and "已逾期" in item.message and item.age.days == 10
    with store.read() as conn:  # kept, bytes and all
        assert conn.execute(select(func.count()).select_from(t.blobs)).scalar() >= 3
    register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001")
    link_av(
        store,
        CUSTODIAN,
        record_id,
        case_id=ids["case"],
        act_id=ids["act"],
        officer_id=officer(store),
    )
    assert unlinked_footage(store, CUSTODIAN, clock()) == []
    late = [f for f in case_findings(store, ids["case"], clock()) if f.rule_id == "av-unlinked"]
    assert late and late[0].citation == "000§16" and "才关联到本案" in late[0].message


def test_uploads_due_for_the_officer_and_late_uploads_are_findings(store, footage, tmp_path, clock):
    ids = make_case_with_files(store, tmp_path)
    with store.read() as conn:
        o1 = conn.execute(select(t.officers.c.id).where(t.officers.c.name == "张三")).scalar()
    user = add_user(
        store, SYSTEM, username="zhangsan", password="Officer-pass-2026", display_name="张三",
        roles=["officer"], agency_id=ids["agency"], officer_id=o1,
    )  # fmt: skip
    seal = record_act(
        store, SYSTEM, case_id=ids["case"], kind="seal_up", started_at=T0,
        ended_at=T0 + timedelta(minutes=30), place="老街1号", officer_ids=[o1],
    )  # fmt: skip
    [due] = av_uploads_due(store, user.actor, clock())
    assert (due.act_id, due.state, due.citation) == (seal, "upcoming", "000§16")
    assert due.due is not None and due.due.astimezone(TZ).date().isoformat() == "2026-11-24"
    assert av_uploads_due(store, OFFICER, clock()) == []  # no officer behind this actor
    clock.now = datetime(2026, 11, 24, 14, 0, tzinfo=TZ)
    assert av_uploads_due(store, user.actor, clock())[0].state == "soon"
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
    assert av_uploads_due(store, user.actor, clock())[0].state == "overdue"
    assert [d.act_id for d in av_uploads_due(store, CUSTODIAN, clock(), case_id=ids["case"])] == [
        seal
    ]

    register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001")
    report = import_av(store, CUSTODIAN, footage)  # stored 6 days after the recording
    link_av(
        store, CUSTODIAN, report.records[0]["record_id"], case_id=ids["case"], act_id=seal,
        officer_id=o1,
    )  # fmt: skip
    assert av_uploads_due(store, user.actor, clock()) == []
    late = [
        f for f in case_findings(store, ids["case"], clock()) if f.rule_id == "av-upload-deadline"
    ]
    assert late and late[0].status == "violation" and late[0].citation == "000§16"


def test_device_events_go_out_with_the_bundle_and_come_back_in(store, footage, tmp_path):
    from liuhen.services.cases.bundle_import import import_bundle

    ids = make_case_with_files(store, tmp_path)
    device = register_device(
        store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001", model="V9"
    )
    record_device_event(
        store, OFFICER, device, kind="check", at=T0 - timedelta(minutes=5), act_id=ids["act"],
        items=["function", "battery", "storage"],
    )  # fmt: skip
    record_device_event(store, CUSTODIAN, device, kind="maintenance", at=T0 - timedelta(days=30),
                        note="季度保养")  # fmt: skip
    linked(store, ids, footage)
    bundle = assemble_bundle(store, ids["case"])
    [dev] = bundle["devices"]
    assert dev["model"] == "V9" and [e["kind"] for e in dev["events"]] == ["maintenance", "check"]
    bundle["case"] = {**bundle["case"], "number": "测试〔2026〕2号"}
    result = import_bundle(store, SYSTEM, bundle)
    copy = assemble_bundle(store, result.case_id)
    [dev2] = copy["devices"]
    assert dev2["id"] == device  # the same camera (by serial number)
    [check] = [e for e in dev2["events"] if e["kind"] == "check"]
    assert check["act_id"] == copy["acts"][0]["id"] != ids["act"]
    with store.read() as conn:  # the maintenance was held already: not stored twice
        kinds = conn.execute(select(t.device_events.c.kind)).scalars().all()
    assert sorted(kinds) == ["check", "check", "maintenance"]
    assert "av-precheck" not in rule_ids(store, result.case_id, T0 + timedelta(hours=2))


def test_remote_work_counts_from_the_return(store, tmp_path, clock):
    ids = make_case_with_files(store, tmp_path)
    o1 = officer(store)
    far = record_act(
        store, SYSTEM, case_id=ids["case"], kind="seal_up", started_at=T0,
        ended_at=T0 + timedelta(minutes=30), place="山区林场", officer_ids=[o1],
        details={"remote": True},
    )  # fmt: skip
    clock.now = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)  # a week on, not yet back
    [due] = av_uploads_due(store, CUSTODIAN, clock(), case_id=ids["case"])
    assert (due.act_id, due.state, due.due, due.from_what) == (far, "waiting", None, "返回单位")
    back = record_act(
        store, SYSTEM, case_id=ids["case"], kind="seal_up", started_at=T0,
        ended_at=T0 + timedelta(minutes=30), place="山区林场", officer_ids=[o1],
        details={"remote": True, "returned_at": "2026-11-26T18:00:00+08:00"},
    )  # fmt: skip
    states = {d.act_id: d for d in av_uploads_due(store, CUSTODIAN, clock(), case_id=ids["case"])}
    assert states[back].state == "upcoming" and states[back].from_what == "返回单位"
    assert states[back].due is not None and states[back].due.date().isoformat() == "2026-11-30"
