"""AV records through the store (SQLite and PostgreSQL): ingest, idempotence, refusals,
linking as a new version, originals that cannot be deleted or replaced, derived clips."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.errors import Conflict, ForbiddenChange, InvalidInput, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.media.synthetic import make_audio, make_photo, make_recording, make_video
from liuhen.services.admin.agency import add_device
from liuhen.services.archiving.integrity import verify
from liuhen.services.av.clips import make_av_clip
from liuhen.services.av.ingest import import_av
from liuhen.services.av.versions import delete_av, link_av, replace_av_file, revise_av
from liuhen.services.av.views import act_av_coverage, av_record_view, unlinked_av
from liuhen.services.cases.bundles import assemble_bundle, case_findings
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # the act in make_case_with_files: 09:00–09:30
CUSTODIAN = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))


@pytest.fixture(autouse=True)
def after_the_act(clock: Any) -> None:
    """Footage is imported after it was recorded (the store refuses recordings from the future)."""
    clock.now = T0 + timedelta(hours=1)


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One recording cut in three 2-second segments, a 4-minute pause before the third."""
    return make_recording(tmp_path_factory.mktemp("dock"), start=T0, pauses=(0, 240))


def counts(store: Any) -> dict[str, int]:
    with store.read() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(t.metadata.tables[name])).scalar()
            for name in ("blobs", "records", "record_files")
        }


def events(store: Any, action: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events).where(t.ledger_events.c.action == action)
        ).mappings()
        return [dict(r) for r in rows]


def record(store: Any, record_id: str) -> dict[str, Any]:
    with store.read() as conn:
        row = conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().one()
        return dict(row)


def imported(store: Any, paths: list[Path], **options: Any) -> str:
    report = import_av(store, CUSTODIAN, paths, ImportOptions(**options))
    assert report.count("new") == len(paths), report.as_dict()
    assert len(report.records) == 1
    return str(report.records[0]["record_id"])


def test_three_segments_with_a_four_minute_gap_become_one_unlinked_av_record(store, footage):
    report = import_av(store, CUSTODIAN, footage)
    assert [f.status for f in report.files] == ["new"] * 3
    assert {f.time_source for f in report.files} == {"file_name"}
    [summary] = report.records
    assert [g["seconds"] for g in summary["gaps"]] == [pytest.approx(240, abs=0.2)]
    row = record(store, summary["record_id"])
    assert (row["kind"], row["case_id"], row["act_id"], row["version"]) == ("av", None, None, 1)
    details = row["details"]
    assert details["device_id"] == "DSJ-V9-0001"  # not registered yet: the raw serial
    assert details["officer_id"] == "unknown-officer"
    assert details["custodian"] == "陈丹（音像管理员）" and details["interruptions"] == []
    assert [s["file_name"] for s in details["segments"]] == [p.name for p in footage]
    assert details["segments"][0]["start"] == "2026-11-20T09:00:00+08:00"
    view = av_record_view(store, summary["record_id"])
    assert [f["role"] for f in view["files"]] == ["segment"] * 3
    first = view["files"][0]["details"]
    assert first["time_source"] == "file_name" and first["media_kind"] == "video"
    assert first["probe"]["video_codec"] == "h264" and first["name_pattern"]["device"]
    assert len(view["recording"]["gaps"]) == 1
    assert [u["id"] for u in unlinked_av(store)] == [summary["record_id"]]
    assert len(events(store, "av.ingested")) == 1 and len(events(store, "blob.stored")) == 3


def test_importing_the_same_folder_twice_stores_nothing_twice(store, footage):
    import_av(store, CUSTODIAN, footage)
    before = counts(store)
    again = import_av(store, CUSTODIAN, footage)
    assert [f.status for f in again.files] == ["duplicate"] * 3
    assert all("未重复存储" in f.reason for f in again.files)
    assert again.records == [] and counts(store) == before
    assert len(events(store, "av.import_finished")) == 2


def test_bad_files_are_refused_with_reasons_and_nothing_is_half_stored(store, footage, tmp_path):
    tmp_path = tmp_path / "dock"
    tmp_path.mkdir()
    cut = tmp_path / "DSJ-V9-0001_20261120100000.mp4"
    cut.write_bytes(footage[0].read_bytes()[:5000])
    (tmp_path / "notes.txt").write_text("巡查记录", "utf-8")
    (tmp_path / "empty.mp4").write_bytes(b"")
    no_time = make_video(tmp_path / "clip.mp4", seconds=1, width=96, height=64)
    paths = sorted(tmp_path.iterdir())
    report = import_av(store, CUSTODIAN, paths)
    reasons = {f.file_name: f.reason for f in report.files if f.status == "rejected"}
    assert set(reasons) == {cut.name, "notes.txt", "empty.mp4", no_time.name}
    assert "截断" in reasons[cut.name] and "0 字节" in reasons["empty.mp4"]
    assert "不是音视频" in reasons["notes.txt"] and "开始时间" in reasons[no_time.name]
    assert counts(store)["blobs"] == 0 and counts(store)["records"] == 0
    assert list(store.blobs.iter_keys()) == []
    [run] = events(store, "av.import_finished")
    assert len(run["payload"]["rejected"]) == 4


def test_odd_file_names_are_kept_and_a_newline_is_stored_escaped(store, tmp_path):
    names = ["现场 录像.mp4", '店主\u201c王某\u201d\'s "copy".mp4', "line\nbreak.mp4"]
    paths = []
    for i, name in enumerate(names):
        when = T0 + timedelta(minutes=10 * i)
        paths.append(
            make_video(tmp_path / name, seconds=1, width=96, height=64, creation_time=when)
        )
    report = import_av(store, CUSTODIAN, paths)
    assert report.count("new") == 3
    stored = {f.file_name for f in report.files}
    assert {"现场 录像.mp4", '店主\u201c王某\u201d\'s "copy".mp4', "line\\nbreak.mp4"} == stored
    escaped = next(f for f in report.files if f.file_name == "line\\nbreak.mp4")
    assert any("转义" in w for w in escaped.warnings)
    assert {f.time_source for f in report.files} == {"device_metadata"}


def register_camera(store: Any, ids: dict[str, str]) -> str:
    with store.read() as conn:
        officer = conn.execute(select(t.officers.c.id).order_by(t.officers.c.name)).scalars().all()
    return add_device(
        store,
        SYSTEM,
        agency_id=ids["agency"],
        kind="body_camera",
        serial_no="DSJ-V9-0001",
        assigned_officer_id=officer[0],
    )


def test_linking_to_a_case_is_a_new_version_and_the_findings_see_the_gap(store, footage, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    original = imported(store, footage)
    old_row = record(store, original)
    with pytest.raises(InvalidInput, match="尚未登记"):
        link_av(store, CUSTODIAN, original, case_id=ids["case"], act_id=ids["act"])
    device = register_camera(store, ids)
    with store.read() as conn:
        officer = conn.execute(select(t.officers.c.certificate_no)).scalars().first()
    linked = link_av(
        store, CUSTODIAN, original, case_id=ids["case"], act_id=ids["act"], officer_id=officer
    )
    new_row = record(store, linked)
    assert record(store, original) == old_row  # the unlinked version is untouched
    assert (new_row["supersedes_id"], new_row["version"]) == (original, 2)
    assert (new_row["case_id"], new_row["act_id"]) == (ids["case"], ids["act"])
    assert new_row["details"]["device_id"] == device
    assert new_row["details"]["segments"] == old_row["details"]["segments"]
    assert len(av_record_view(store, linked)["files"]) == 3
    assert unlinked_av(store) == []
    with pytest.raises(Conflict, match="更新的版本"):
        link_av(store, CUSTODIAN, original, case_id=ids["case"], act_id=ids["act"])
    [event] = events(store, "av.linked")
    assert event["case_id"] == ids["case"] and event["payload"]["supersedes"] == original

    cov = act_av_coverage(store, ids["act"])
    assert cov.starts_late is None
    assert cov.ends_early is not None and cov.ends_early > timedelta(minutes=25)
    assert len(cov.uncovered) == 2  # the 4-minute gap and the end of the act
    findings = {f.rule_id for f in case_findings(store, ids["case"], T0 + timedelta(hours=2))}
    assert {"av-continuity", "av-coverage"} <= findings
    assert verify(store, SYSTEM).ok


def test_an_explained_interruption_is_a_new_version_and_settles_the_gap(store, footage, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    register_camera(store, ids)
    linked = link_av(
        store, CUSTODIAN, imported(store, footage), case_id=ids["case"], act_id=ids["act"]
    )
    gap = av_record_view(store, linked)["recording"]["gaps"][0]
    revised = revise_av(
        store,
        CUSTODIAN,
        linked,
        changes={
            "interruptions": [
                {
                    "at": gap["start"],
                    "resumed_at": gap["end"],
                    "reason": "设备电量耗尽，更换电池",
                    "explained_by": "voice",
                }
            ]
        },
        reason="补录中止原因",
    )
    assert record(store, revised)["version"] == 3
    findings = {f.rule_id for f in case_findings(store, ids["case"], T0 + timedelta(hours=2))}
    assert "av-continuity" not in findings
    with pytest.raises(InvalidInput, match="理由"):
        revise_av(store, CUSTODIAN, revised, changes={"retention": None}, reason=" ")
    with pytest.raises(InvalidInput, match="不能修改"):
        revise_av(store, CUSTODIAN, revised, changes={"device_id": "x"}, reason="改设备")


def test_deleting_or_replacing_an_original_is_refused_on_every_route_and_on_the_ledger(
    store, footage
):
    original = imported(store, footage)
    before = counts(store)
    row = record(store, original)
    officer = Actor(id="u1", label="张三（zhangsan）", roles=("officer",))
    for actor in (CUSTODIAN, officer, SYSTEM):
        with pytest.raises(ForbiddenChange, match="不得剪辑、删除或替换"):
            delete_av(store, actor, original, reason="拍错了")
    with pytest.raises(ForbiddenChange):
        replace_av_file(store, CUSTODIAN, original, position=2, reason="画面不清")
    with pytest.raises(ForbiddenChange, match="segments"):
        revise_av(store, CUSTODIAN, original, changes={"segments": []}, reason="删去第二段")
    with pytest.raises(ForbiddenChange, match="stored_at"):
        revise_av(store, CUSTODIAN, original, changes={"stored_at": None}, reason="改存储时间")
    refused = events(store, "av.delete_refused")
    assert [e["actor_label"] for e in refused] == [a.label for a in (CUSTODIAN, officer, SYSTEM)]
    assert all(e["subject_id"] == original and e["payload"]["exists"] for e in refused)
    assert len(events(store, "av.replace_refused")) == 3
    assert counts(store) == before and record(store, original) == row
    with pytest.raises(ForbiddenChange):
        delete_av(store, CUSTODIAN, "no-such-record")
    assert events(store, "av.delete_refused")[-1]["payload"]["exists"] is False
    assert verify(store, SYSTEM).ok


def test_a_different_file_under_a_stored_name_cannot_replace_the_original(store, footage, tmp_path):
    imported(store, footage[:1])
    impostor = make_video(tmp_path / footage[0].name, seconds=2, width=160, height=120, fps=10)
    before = counts(store)
    report = import_av(store, CUSTODIAN, [impostor])
    [line] = report.files
    assert line.status == "rejected" and "原件不可替换" in line.reason
    assert counts(store) == before
    [event] = events(store, "av.replace_refused")
    assert (
        event["payload"]["offered_sha256"]
        != record(store, event["subject_id"])["details"]["segments"][0]["sha256"]
    )


def test_a_clip_is_a_new_record_and_the_original_and_its_hash_are_unchanged(
    store, footage, tmp_path
):
    ids = make_case_with_files(store, tmp_path)
    register_camera(store, ids)
    linked = link_av(
        store, CUSTODIAN, imported(store, footage), case_id=ids["case"], act_id=ids["act"]
    )
    original = record(store, linked)
    first = original["details"]["segments"][0]
    clip = make_av_clip(
        store,
        CUSTODIAN,
        linked,
        start=T0 + timedelta(seconds=0.5),
        end=T0 + timedelta(seconds=1.5),
        caption="复制件 申请人：王某某 编号：测试复〔2026〕1号 日期：2026-11-21",
        purpose="party_copy",
    )
    row = record(store, clip)
    assert (row["kind"], row["doc_kind"], row["case_id"]) == (
        "av_derived",
        "party_copy",
        ids["case"],
    )
    source = row["details"]["derived_from"]
    assert (source["record_id"], source["sha256"]) == (linked, first["sha256"])
    assert (source["start"], source["end"]) == (
        "2026-11-20T09:00:00.500000+08:00",
        "2026-11-20T09:00:01.500000+08:00",
    )
    clip_sha = row["details"]["segments"][0]["sha256"]
    assert clip_sha != first["sha256"]
    assert store.blobs.rehash(first["sha256"])[0] == first["sha256"]
    assert record(store, linked) == original
    clip_file = av_record_view(store, clip)["files"][0]
    assert clip_file["role"] == "clip" and clip_file["media_type"] == "video/mp4"
    assert clip_file["details"]["probe"]["duration_ms"] == pytest.approx(1000, abs=150)
    [event] = events(store, "av.clip_made")
    assert event["payload"]["derived_from"]["record_id"] == linked
    # a copy is not a recording of the act: the case bundle holds the original alone
    assert [av["id"] for av in assemble_bundle(store, ids["case"])["av_records"]] == [linked]
    with pytest.raises(InvalidInput, match="单个片段"):
        make_av_clip(
            store, CUSTODIAN, linked, start=T0 + timedelta(seconds=1), end=T0 + timedelta(minutes=5)
        )
    assert verify(store, SYSTEM).ok


def test_photos_and_recorder_audio_are_records_of_their_own(store, tmp_path):
    photo = make_photo(tmp_path / "IMG_0001.JPG", taken_at=datetime(2026, 11, 20, 9, 5))
    audio = make_audio(tmp_path / "REC20261120090000.WAV", seconds=2, wav=True)
    report = import_av(store, CUSTODIAN, [photo, audio])
    by_name = {f.file_name: f for f in report.files}
    assert by_name["IMG_0001.JPG"].time_source == "device_metadata"
    assert by_name["IMG_0001.JPG"].kind == "photo"
    assert by_name["REC20261120090000.WAV"].time_source == "file_name"
    assert len(report.records) == 2
    photo_record = by_name["IMG_0001.JPG"].record_id
    assert photo_record is not None
    with pytest.raises(InvalidInput, match="加注文字"):
        make_av_clip(store, CUSTODIAN, photo_record)
    copy = make_av_clip(store, CUSTODIAN, photo_record, caption="复制件")
    assert av_record_view(store, copy)["files"][0]["media_type"] == "image/jpeg"


def test_the_station_manifest_wins_and_a_hash_it_does_not_match_is_refused(store, tmp_path):
    first = make_video(tmp_path / "a.mp4", seconds=1, width=96, height=64, creation_time=T0)
    second = make_video(tmp_path / "b.mp4", seconds=1, width=96, height=64, title="b")
    from liuhen.media.manifest import ManifestEntry

    manifest = {
        "a.mp4": ManifestEntry(
            "a.mp4", "m.csv:2", start=T0 + timedelta(seconds=30), device="DSJ-2"
        ),
        "b.mp4": ManifestEntry("b.mp4", "m.csv:3", start=T0, sha256="0" * 64),
    }
    report = import_av(store, CUSTODIAN, [first, second], ImportOptions(manifest=manifest))
    a, b = report.files
    assert (a.status, a.time_source, a.device) == ("new", "manifest", "DSJ-2")
    assert a.start == (T0 + timedelta(seconds=30)).isoformat()
    assert any("相差 30秒" in w for w in a.warnings)
    assert b.status == "rejected" and "SHA-256 不符" in b.reason


def test_only_roles_that_may_upload_can_import(store, footage):
    admin = Actor(id=None, label="管理员", roles=("admin",))
    with pytest.raises(PermissionDenied):
        import_av(store, admin, footage)
    assert counts(store)["blobs"] == 0
