# ruff: noqa: F811  (the upload fixtures are imported from test_web_uploads)
"""Segments uploaded one at a time (tus, through the real app) join the recording they belong
to: one AV record, a new version per joined segment, segments in start order and the
4-minute gap computed, whatever the order of arrival. Another device, a file beyond the
window and a duplicate stay what they are. ``import-av`` of a later folder joins the same way.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.helpers import SYSTEM
from tests.web.test_web_uploads import T0, after_the_act, bureau, officer, upload  # noqa: F401

from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.media.synthetic import make_recording
from liuhen.services.admin.agency import add_device
from liuhen.services.av.ingest import import_av
from liuhen.services.av.queries.records import current_rows
from liuhen.services.av.versions import revise_av
from liuhen.services.av.views import act_av_coverage, av_record_view
from liuhen.services.cases.bundles import case_findings
from liuhen.store import tables as t

CUSTODIAN = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """09:00:00–02, 09:00:02–04, then 4 minutes without footage, 09:04:04–06."""
    return make_recording(tmp_path_factory.mktemp("cam"), start=T0, pauses=(0, 240))


def send(client: TestClient, path: Path, ids: dict[str, Any], **extra: str) -> dict[str, Any]:
    meta = {
        "filename": path.name,
        "case": ids["case"],
        "act": ids["act"],
        "device": path.name.split("_")[0],
        "officer": ids["certificate"],
        **extra,
    }
    result = upload(client, path.read_bytes(), **meta)[1]["result"]
    assert result["status"] in ("new", "duplicate"), result
    return dict(result)


def current_av(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in current_rows(conn, t.records.c.kind == "av")]


def joined_events(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events).where(t.ledger_events.c.action == "av.segment_joined")
        ).mappings()
        return [dict(r) for r in rows]


def test_three_segments_uploaded_one_by_one_become_one_record_with_the_gap(
    officer: TestClient, store: Any, bureau: dict[str, Any], footage: list[Path]
) -> None:
    results = [send(officer, p, bureau) for p in footage]
    assert [r["status"] for r in results] == ["new"] * 3
    assert results[0]["joined"] is None and results[1]["joined"] and results[2]["joined"]
    assert all(r["linked"] and "link_problem" not in r for r in results)
    [rec] = current_av(store)
    assert rec["id"] == results[-1]["record_id"]
    assert (rec["case_id"], rec["act_id"], rec["version"]) == (bureau["case"], bureau["act"], 4)
    assert [s["file_name"] for s in rec["details"]["segments"]] == [p.name for p in footage]
    assert "（3 段）" in rec["title"]
    view = av_record_view(store, rec["id"])
    assert [f["file_name"] for f in view["files"]] == [p.name for p in footage]
    assert [g["seconds"] for g in view["recording"]["gaps"]] == [pytest.approx(240, abs=0.2)]
    events = joined_events(store)
    assert len(events) == 2 and events[-1]["case_id"] == bureau["case"]
    assert events[-1]["payload"]["positions"] == [3] and events[-1]["payload"]["gaps"] == 1
    cov = act_av_coverage(store, bureau["act"])
    assert len(cov.uncovered) == 2  # the 4-minute gap and the rest of the act
    findings = case_findings(store, bureau["case"], T0 + timedelta(hours=2))
    [gap] = [f for f in findings if f.rule_id == "av-continuity"]  # 000§13: explain it
    assert gap.subject.id == bureau["act"] and "间断4分钟" in gap.message
    with store.read() as conn:  # append-only: the first version is untouched, still one file
        first = conn.execute(
            select(t.record_files.c.file_name).where(
                t.record_files.c.record_id == results[0]["record_id"]
            )
        ).scalars()
        assert list(first) == [footage[0].name]
    again = send(officer, footage[1], bureau, filename="copy.mp4")
    assert again["status"] == "duplicate" and len(current_av(store)) == 1


def test_arrival_order_three_one_two_still_gives_ordered_segments(
    officer: TestClient, store: Any, bureau: dict[str, Any], footage: list[Path]
) -> None:
    for i in (2, 0, 1):
        send(officer, footage[i], bureau)
    [rec] = current_av(store)
    starts = [s["start"] for s in rec["details"]["segments"]]
    assert starts == sorted(starts)
    assert [s["file_name"] for s in rec["details"]["segments"]] == [p.name for p in footage]
    view = av_record_view(store, rec["id"])
    assert [f["position"] for f in view["files"]] == [1, 2, 3]
    assert [f["file_name"] for f in view["files"]] == [p.name for p in footage]
    assert [g["seconds"] for g in view["recording"]["gaps"]] == [pytest.approx(240, abs=0.2)]
    assert not view["recording"]["overlaps"]
    assert [e["payload"]["positions"] for e in joined_events(store)] == [[1], [2]]


def test_another_device_and_a_file_beyond_the_window_stay_separate(
    officer: TestClient, store: Any, bureau: dict[str, Any], footage: list[Path], tmp_path: Path
) -> None:
    add_device(
        store, SYSTEM, agency_id=bureau["agency"], kind="body_camera", serial_no="DSJ-V9-0002"
    )
    send(officer, footage[0], bureau)
    other = make_recording(
        tmp_path / "b", start=T0 + timedelta(seconds=2), seconds=(2.0,), device="DSJ-V9-0002"
    )
    assert send(officer, other[0], bureau)["joined"] is None
    window = store.settings.av_join_minutes
    late = make_recording(
        tmp_path / "c", start=T0 + timedelta(minutes=window, seconds=3), seconds=(3.0,)
    )
    assert send(officer, late[0], bureau)["joined"] is None
    assert len(current_av(store)) == 3
    assert joined_events(store) == []
    object.__setattr__(store.settings, "av_join_minutes", window + 10)
    try:  # the window is a setting: a longer one joins the same file
        within = make_recording(
            tmp_path / "d", start=T0 + timedelta(minutes=window + 5), seconds=(1.0,)
        )
        assert send(officer, within[0], bureau)["joined"]
    finally:
        object.__setattr__(store.settings, "av_join_minutes", window)


def test_import_av_of_a_later_folder_joins_the_stored_recording(
    store: Any, footage: list[Path]
) -> None:
    first = import_av(store, CUSTODIAN, footage[:2])
    assert first.records[0]["joined"] is None
    later = import_av(store, CUSTODIAN, footage[2:], ImportOptions())
    [summary] = later.records
    assert summary["joined"] == first.records[0]["record_id"]
    assert [f.joined for f in later.files] == [summary["joined"]]
    assert [g["seconds"] for g in summary["gaps"]] == [pytest.approx(240, abs=0.2)]
    [rec] = current_av(store)
    assert rec["version"] == 2 and len(rec["details"]["segments"]) == 3
    another = import_av(store, CUSTODIAN, footage[2:], ImportOptions(officer="other-officer"))
    assert another.count("duplicate") == 1  # duplicates stay duplicates


def test_a_segment_joined_before_the_first_moves_the_positions_in_the_video(
    store: Any, footage: list[Path]
) -> None:
    [summary] = import_av(store, CUSTODIAN, footage[1:]).records
    marked = revise_av(
        store,
        CUSTODIAN,
        summary["record_id"],
        changes={"opening_statement": {"elements": ["time"], "marks": {"time": 3}}},
        reason="开场说明",
    )
    [joined] = import_av(store, CUSTODIAN, footage[:1]).records
    assert joined["joined"] == marked
    [rec] = current_av(store)
    assert rec["details"]["opening_statement"]["marks"] == {"time": 5}  # 2 s earlier start
    assert [s["file_name"] for s in rec["details"]["segments"]] == [p.name for p in footage]
