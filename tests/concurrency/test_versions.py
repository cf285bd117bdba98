"""One successor per version: four processes correcting one record (or adding to one AV
record) at once make one new version; the others meet a conflict. Four imports of one
docking-station folder at once all succeed and store each file once. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from liuhen.ledger.events import Actor
from liuhen.media.synthetic import make_recording
from liuhen.services.archiving.integrity import verify
from liuhen.services.av.ingest import import_av
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.helpers import SYSTEM, make_case_with_files

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
CUSTODIAN = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))


def successors(store: Any, record_id: str) -> list[str]:
    r = t.records
    with store.read() as conn:
        return [str(i) for i in conn.execute(select(r.c.id).where(r.c.supersedes_id == record_id))]


def test_four_corrections_of_one_record_make_one_new_version(store, racers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = make_case_with_files(store, tmp_path)
    details = {
        "made_at": (T0 + timedelta(minutes=30)).isoformat(),
        "officer_ids": [ids["o1"], ids["o2"]],
        "fields": {"findings": "店外堆放货架三个"},
    }
    results = racers.race(store, ops.correct_record, SYSTEM, ids["record"], details)
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert len(successors(store, ids["record"])) == 1
    assert verify(store, SYSTEM).ok


def test_four_imports_of_one_folder_store_each_file_once(
    store, racers, clock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    clock.now = T0 + timedelta(hours=1)
    footage = make_recording(tmp_path / "dock", start=T0, pauses=(0, 240))
    results = racers.race(store, ops.import_av, CUSTODIAN, footage)
    assert results.codes == {"ok": 4}, results
    with store.read() as conn:
        records = conn.execute(select(func.count()).select_from(t.records)).scalar()
        files = conn.execute(
            select(t.record_files.c.blob_sha256, func.count()).group_by(
                t.record_files.c.blob_sha256
            )
        ).all()
    assert records == 1, results  # one recording (the pause is shorter than a join), once
    assert sorted(n for _, n in files) == [1, 1, 1], files
    assert verify(store, SYSTEM).ok


def test_four_additions_to_one_av_record_make_one_new_version(
    store, racers, clock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    clock.now = T0 + timedelta(hours=1)
    footage = make_recording(tmp_path / "dock", start=T0, pauses=(0,))
    record_id = import_av(store, CUSTODIAN, footage).records[0]["record_id"]
    results = racers.race(store, ops.revise_av, CUSTODIAN, record_id)
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert len(successors(store, record_id)) == 1
    assert verify(store, SYSTEM).ok
