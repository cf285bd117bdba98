"""An officer's phone registered once: footage sent from a case page from a device nobody
registered registers it as the officer's phone (``services/av/phones``); four uploads of
theirs finishing at once register one phone, and every recording names it. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.media.synthetic import make_video
from liuhen.services.archiving.integrity import verify
from liuhen.services.av.ingest import import_av
from liuhen.services.av.queries.records import latest_version_id
from liuhen.services.cases.cases import open_case
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.factories import make_agency, make_user
from tests.helpers import SYSTEM

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
CUSTODIAN = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))


def unlinked_recordings(store: Any, tmp: Path, agency: str, n: int) -> list[str]:
    """``n`` phone recordings stored without a case, hours apart (none joins another)."""
    made = []
    for i in range(n):
        path = make_video(tmp / f"VID_{i:04d}.mp4", seconds=1, width=96 + 32 * i, height=64)
        options = ImportOptions(officer_start=T0 + timedelta(hours=i), agency_id=agency)
        [line] = import_av(store, CUSTODIAN, [path], options).files
        assert line.status == "new" and line.record_id, line
        made.append(line.record_id)
    return made


def test_one_phone_registered_by_four_uploads_at_once_is_one_device(
    store, racers, clock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    clock.now = T0 + timedelta(hours=6)
    people = make_agency(store, officers={"张三": "14000001"})
    agency, officer_id = people["agency"], people["张三"]
    officer = make_user(store, "zhang", agency_id=agency, officer_id=officer_id)
    case_id = open_case(store, officer.actor, agency_id=agency, number="测试〔2026〕1号",
                        title="某店占道经营案", procedure="general",
                        party={"kind": "organisation", "name": "某店"}, opened_at=T0)  # fmt: skip
    recordings = unlinked_recordings(store, tmp_path, agency, racers.n)
    each = [(officer.actor, record, case_id, officer_id) for record in recordings]
    results = racers.race_each(store, ops.link_phone, each)
    assert results.codes == {"ok": racers.n}, results
    d, r, e = t.devices, t.records, t.ledger_events
    with store.read() as conn:
        devices = conn.execute(select(d.c.id, d.c.serial_no, d.c.assigned_officer_id))
        [(phone, serial, holder)] = devices.all()
        linked = [
            conn.execute(select(r.c.case_id, r.c.details).where(r.c.id == rid)).one()
            for rid in (latest_version_id(store, record) for record in recordings)
        ]
        registered = conn.execute(select(e.c.seq).where(e.c.action == "device.registered"))
        assert len(registered.all()) == 1
    assert (serial, holder) == ("手机-14000001", officer_id)
    assert [(c, d["device_id"]) for c, d in linked] == [(case_id, phone)] * racers.n, linked
    assert verify(store, SYSTEM).ok
