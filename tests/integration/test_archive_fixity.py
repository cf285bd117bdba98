"""Fixity audits: oldest-verified blobs first, at a set rate, each run on the ledger, and a
damaged blob named with the cases and records that use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.services.archiving.fixity import ACTION, run_fixity, schedule
from liuhen.services.cases.files import store_file
from liuhen.store import tables as t
from liuhen.store.store import Store


@pytest.fixture
def sqlite_store(sqlite_settings, clock):  # type: ignore[no-untyped-def]
    """Scheduling and throttling do not depend on the database: SQLite only, for speed."""
    from tests.conftest import ADMIN_PASSWORD

    from liuhen.services.admin.setup import initialise

    initialise(sqlite_settings, admin_password=ADMIN_PASSWORD, clock=clock)
    s = Store.open(sqlite_settings, clock=clock)
    yield s
    s.close()


def _blob_path(store: Store, sha: str) -> Path:
    return Path(store.settings.data_dir) / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha


def _flip_byte(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))


def _events(store: Store, action: str) -> list[dict]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events)
            .where(t.ledger_events.c.action == action)
            .order_by(t.ledger_events.c.seq)
        ).mappings()
        return [dict(r) for r in rows]


def test_fixity_run_checks_every_blob_and_is_a_ledger_event(store, tmp_path):
    made = make_case_with_files(store, tmp_path)
    report = run_fixity(store, SYSTEM, rate_mb=0)
    assert report.ok and report.checked == report.blobs == 1
    (event,) = _events(store, ACTION)
    assert event["seq"] == report.event_seq
    assert event["payload"]["checked"] == [made["blob"]]
    assert event["payload"]["damaged"] == []


def test_flipped_byte_is_found_and_named_with_its_case_and_record(store, tmp_path):
    made = make_case_with_files(store, tmp_path, number="示镇综执立〔2026〕99号")
    _flip_byte(_blob_path(store, made["blob"]))
    report = run_fixity(store, SYSTEM, rate_mb=0)
    assert not report.ok
    (damage,) = report.damaged
    assert damage.sha256 == made["blob"] and damage.problem == "altered"
    (use,) = damage.uses
    assert use["case_number"] == "示镇综执立〔2026〕99号"
    assert use["record_id"] == made["record"] and use["file_name"] == "笔录.txt"
    (run,) = _events(store, ACTION)
    assert run["payload"]["checked"] == []
    assert run["payload"]["damaged"][0]["cases"] == ["示镇综执立〔2026〕99号"]
    (case_event,) = _events(store, "blob.damaged")
    assert case_event["case_id"] == made["case"]


def test_missing_blob_is_reported_as_missing(sqlite_store, tmp_path):
    made = make_case_with_files(sqlite_store, tmp_path)
    path = _blob_path(sqlite_store, made["blob"])
    path.chmod(0o644)
    path.unlink()
    report = run_fixity(sqlite_store, SYSTEM, rate_mb=0)
    assert [d.problem for d in report.damaged] == ["missing"]


def test_oldest_verified_blobs_come_first_and_limit_caps_a_run(sqlite_store, tmp_path, clock):
    make_case_with_files(sqlite_store, tmp_path)
    (tmp_path / "b.txt").write_text("第二个文件", "utf-8")
    clock.advance(minutes=5)
    second = store_file(sqlite_store, SYSTEM, tmp_path / "b.txt").sha256
    first = schedule(sqlite_store)[0].sha256
    assert second != first
    clock.advance(days=1)
    one = run_fixity(sqlite_store, SYSTEM, limit=1, rate_mb=0)
    assert _events(sqlite_store, ACTION)[-1]["payload"]["checked"] == [first]
    assert one.checked == 1
    clock.advance(days=1)
    run_fixity(sqlite_store, SYSTEM, limit=1, rate_mb=0)
    assert _events(sqlite_store, ACTION)[-1]["payload"]["checked"] == [second]
    assert [b.sha256 for b in schedule(sqlite_store)] == [first, second]


def test_due_only_waits_for_the_cycle(sqlite_store, tmp_path, clock):
    make_case_with_files(sqlite_store, tmp_path)
    assert sqlite_store.settings.fixity_cycle_days == 90
    early = run_fixity(sqlite_store, SYSTEM, due_only=True, rate_mb=0)
    assert early.checked == 0 and early.overdue_before == 0
    clock.advance(days=91)
    late = run_fixity(sqlite_store, SYSTEM, due_only=True, rate_mb=0)
    assert late.overdue_before == 1 and late.checked == 1 and late.overdue_after == 0


def test_rate_limit_sleeps_for_the_bytes_read(sqlite_store, tmp_path):
    made = make_case_with_files(sqlite_store, tmp_path)
    size = _blob_path(sqlite_store, made["blob"]).stat().st_size
    slept: list[float] = []
    report = run_fixity(sqlite_store, SYSTEM, rate_mb=1, sleep=slept.append, clock=lambda: 0.0)
    assert report.bytes == size
    assert abs(sum(slept) - size / 1_000_000) < 1e-9
