"""``liuhen gc`` as an operator runs it (issue 14 item 5), on SQLite and PostgreSQL: stored
objects no row refers to, older than the grace period, are listed (the dry run changes
nothing) and with ``--delete`` reclaimed, all of them in one ``store.reclaimed`` event, after
which ``verify`` and ``fixity`` are clean; objects a row refers to, young ones and ones a
live ingest holds are never touched; an object registered between the listing and the
deletion is kept, and a writer that found the blob stored before gc deleted it is refused
at its commit and stores it again. S3: tests/integration/blobs/test_gc_s3.py; many
processes at once: tests/concurrency/test_gc.py."""

from __future__ import annotations

import io
import os
import re
import shlex
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import ADMIN_PASSWORD
from tests.factories import SYSTEM
from tests.helpers import CliResult, make_case_with_files, run_cli

from liuhen.config import Settings
from liuhen.errors import Conflict
from liuhen.ledger.events import Actor
from liuhen.store import tables as t
from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.store import Store

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
OPERATOR = Actor(id=None, label="命令行操作员（测试）", roles=("admin",))
DAY = 86400.0


def _env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI at ``settings`` (the operator's environment)."""
    monkeypatch.setenv("LIUHEN_ENV", "test")
    monkeypatch.delenv("LIUHEN_AS_USER", raising=False)
    monkeypatch.delenv("LIUHEN_GC_GRACE_HOURS", raising=False)
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LIUHEN_STORE_URL", settings.store_url)
    if settings.is_sqlite:
        monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("LIUHEN_DATABASE_URL", settings.database_url)


def _town(settings: Settings, tmp_path: Path) -> tuple[Store, dict[str, str]]:
    """An initialised store (left open) with a case whose record holds a stored file."""
    from liuhen.services.admin.setup import initialise

    initialise(settings, admin_password=ADMIN_PASSWORD)
    store = Store.open(settings)
    return store, make_case_with_files(store, tmp_path)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8") * 100


def _orphan(store: Store, text: str, *, days: float = 3.0) -> str:
    """Bytes put in place whose row never came (the ingest's marker let go), ``days`` old."""
    info = store.blobs.ingest(io.BytesIO(_bytes(text)))
    store.blobs.settle([info.sha256])
    _age(store, info.sha256, days)
    return info.sha256


def _age(store: Store, sha256: str, days: float) -> None:
    assert isinstance(store.blobs, LocalBlobStore)
    when = time.time() - days * DAY
    os.utime(store.blobs.path_for(sha256), (when, when))


def _stored(store: Store) -> set[str]:
    return set(store.blobs.iter_keys())


def _events(store: Store, action: str | None = None) -> list[Any]:
    query = select(t.ledger_events).order_by(t.ledger_events.c.seq)
    if action is not None:
        query = query.where(t.ledger_events.c.action == action)
    with store.read() as conn:
        return list(conn.execute(query))


def _one_line_error(result: CliResult, code: int) -> None:
    assert result.code == code, (result.out, result.err)
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("错误：")


@pytest.fixture
def world(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A town whose store holds, besides its registered file (made old too): two old
    orphans, one old orphan a crashed ingest left its marker on, one young orphan, and one
    old orphan whose ingest (this process) still holds its marker."""
    store, town = _town(settings, tmp_path)
    _age(store, town["blob"], 30)
    texts = ["连接中断留下的文件一", "连接中断留下的文件二", "进程被杀留下的文件"]
    sizes = {_orphan(store, text): len(_bytes(text)) for text in texts}
    *old_, crashed = sizes
    old = set(old_)
    assert isinstance(store.blobs, LocalBlobStore)
    (store.blobs.root / "pending" / crashed).touch()  # its ingest died holding the marker
    young = _orphan(store, "刚刚写入的文件", days=0.1)
    held = store.blobs.ingest(io.BytesIO(_bytes("正在登记的文件"))).sha256
    _age(store, held, 3)  # not settled: this process holds its marker
    _env(settings, monkeypatch)
    yield {
        "store": store,
        "town": town,
        "old": old,
        "crashed": crashed,
        "young": young,
        "held": held,
        "candidates": old | {crashed},
        "sizes": sizes,
    }
    store.close()


def test_gc_lists_old_unreferenced_objects_and_the_dry_run_changes_nothing(world: Any) -> None:
    store = world["store"]
    before, events = _stored(store), len(_events(store))
    listed = run_cli(["gc", "--json"])
    assert listed.code == 0, listed.err
    data = listed.json()
    assert {c["sha256"] for c in data["candidates"]} == world["candidates"]
    reasons = {c["sha256"]: c["reason"] for c in data["candidates"]}
    assert reasons[world["crashed"]] == "interrupted"
    assert {reasons[k] for k in world["old"]} == {"unreferenced"}
    assert data["young"] == 1 and data["in_use"] == 1 and data["stored"] == 6
    assert data["count"] == 3 and data["bytes"] == sum(c["size"] for c in data["candidates"])
    assert data["grace_hours"] == 24 and data["deleted"] is False
    assert all(c["age_seconds"] > 2 * DAY for c in data["candidates"])
    assert all(c["key"].endswith(c["sha256"]) for c in data["candidates"])

    human = run_cli(["gc"])
    assert human.code == 0, human.err
    for sha in world["candidates"]:
        assert sha in human.out
    assert "合计 3 个" in human.out and "未删除任何文件" in human.out
    assert "写入中断的残留" in human.out and "1 个正被写入它的进程持有" in human.out
    assert _stored(store) == before and len(_events(store)) == events
    assert (store.blobs.root / "pending" / world["crashed"]).exists()  # no recovery ran


def test_gc_delete_reclaims_them_in_one_event_and_verify_and_fixity_stay_clean(
    world: Any,
) -> None:
    store, town = world["store"], world["town"]
    before = _stored(store)
    done = run_cli(["gc", "--delete", "--yes", "--json"])
    assert done.code == 0, done.err
    result = done.json()
    assert result["deleted"] is True and result["kept"] == []
    assert {r["sha256"] for r in result["removed"]} == world["candidates"]
    assert _stored(store) == before - world["candidates"]
    assert {town["blob"], world["young"], world["held"]} <= _stored(store)
    assert not (store.blobs.root / "pending" / world["crashed"]).exists()

    [event] = _events(store, "store.reclaimed")
    assert result["event_seqs"] == [event.seq]
    assert event.actor_label.startswith("命令行操作员") and event.subject_type == "store"
    objects = event.payload["objects"]
    assert {o["sha256"]: o["size"] for o in objects} == world["sizes"]
    assert all(len(o["sm3"]) == 64 and o["key"].endswith(o["sha256"]) for o in objects)
    assert event.payload["count"] == 3 and event.payload["grace_seconds"] == 24 * 3600
    assert event.payload["bytes"] == sum(world["sizes"].values())

    checked = run_cli(["verify", "--json"])
    assert checked.code == 0, checked.out
    assert any("2 个未登记的文件" in n for n in checked.json()["notes"])  # young and held
    fixity = run_cli(["fixity", "--json"])
    assert fixity.code == 0, fixity.out
    assert fixity.json()["damaged"] == []

    again = run_cli(["gc", "--delete", "--yes"])
    assert again.code == 0, again.err
    assert "没有可清理的文件" in again.out
    assert len(_events(store, "store.reclaimed")) == 1  # nothing deleted, nothing recorded


def test_gc_grace_option_lists_young_objects_and_refuses_a_negative_one(world: Any) -> None:
    listed = run_cli(["gc", "--grace", "1", "--json"]).json()
    assert world["young"] in {c["sha256"] for c in listed["candidates"]}
    assert world["held"] not in {c["sha256"] for c in listed["candidates"]}
    assert run_cli(["gc", "--grace", "-1"]).code == 2


def test_gc_delete_without_a_terminal_needs_yes_and_deletes_nothing(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _town_ = _town(sqlite_settings, tmp_path)
    try:
        orphan = _orphan(store, "无人引用")
        _env(sqlite_settings, monkeypatch)
        refused = run_cli(["gc", "--delete"])
        _one_line_error(refused, 2)
        assert "--yes" in refused.err
        _one_line_error(run_cli(["gc", "--yes"]), 2)
        _one_line_error(run_cli(["--as", "admin", "gc"]), 2)
        assert orphan in _stored(store) and not _events(store, "store.reclaimed")
    finally:
        store.close()


def test_an_object_registered_after_the_listing_is_kept(settings: Settings, tmp_path: Path) -> None:
    from liuhen.services.archiving.gc import reclaim, unreferenced
    from liuhen.services.cases.files import store_file

    store, _ = _town(settings, tmp_path)
    try:
        text = "列出之后被登记的文件"
        orphan = _orphan(store, text)
        listing = unreferenced(store, timedelta(hours=24))
        assert [c.sha256 for c in listing.candidates] == [orphan]
        assert store_file(store, SYSTEM, io.BytesIO(_bytes(text))).sha256 == orphan
        done = reclaim(store, OPERATOR, listing)
        assert done.removed == [] and done.event_seqs == []
        assert [(k["sha256"], k["why"]) for k in done.kept] == [(orphan, "referenced")]
        assert store.blobs.exists(orphan) and not _events(store, "store.reclaimed")
    finally:
        store.close()


def test_an_object_written_again_after_the_listing_is_kept(
    settings: Settings, tmp_path: Path
) -> None:
    from liuhen.services.archiving.gc import reclaim, unreferenced

    store, _ = _town(settings, tmp_path)
    try:
        orphan = _orphan(store, "列出之后重新写入的文件")
        listing = unreferenced(store, timedelta(hours=24))
        _age(store, orphan, 0)  # put in place again (another node's upload) since the listing
        done = reclaim(store, OPERATOR, listing)
        assert [k["why"] for k in done.kept] == ["changed"] and store.blobs.exists(orphan)
    finally:
        store.close()


def test_a_writer_that_found_the_blob_stored_before_gc_deleted_it_stores_it_again(
    settings: Settings, tmp_path: Path
) -> None:
    """The order that matters: an ingest finds the orphan stored (it does not put it again),
    gc deletes it, then the writer's transaction registers it. The commit refuses (no row
    without its blob); storing it again puts the bytes back and registers them."""
    from liuhen.services.archiving.gc import reclaim, unreferenced
    from liuhen.services.av.rows import register_blob
    from liuhen.services.cases.files import store_file

    store, _ = _town(settings, tmp_path)
    try:
        data = _bytes("同一内容，两处写入")
        orphan = _orphan(store, "同一内容，两处写入")
        found = store.blobs.ingest(io.BytesIO(data))
        assert found.sha256 == orphan and not found.created
        done = reclaim(store, OPERATOR, unreferenced(store, timedelta(hours=24)))
        assert [r["sha256"] for r in done.removed] == [orphan]
        with pytest.raises(Conflict, match="liuhen gc"), store.transaction(SYSTEM) as tx:
            register_blob(tx, store, found)
        with store.read() as conn:
            assert conn.execute(select(t.blobs).where(t.blobs.c.sha256 == orphan)).first() is None
        again = store_file(store, SYSTEM, io.BytesIO(data))
        assert again.created and store.blobs.exists(orphan)
    finally:
        store.close()


def test_an_ingest_of_the_same_bytes_waits_while_gc_deletes_and_puts_them_again(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """On one node the blob's marker keeps them apart: gc holds it while it decides and
    deletes; an ingest that reaches the blob meanwhile waits, then finds it gone."""
    store, _ = _town(sqlite_settings, tmp_path)
    try:
        data = _bytes("同时写入与清理")
        orphan = _orphan(store, "同时写入与清理")
        got: list[Any] = []
        with store.blobs.collecting(orphan) as free:
            assert free
            writer = threading.Thread(
                target=lambda: got.append(store.blobs.ingest(io.BytesIO(data)))
            )
            writer.start()
            writer.join(0.5)
            assert writer.is_alive()  # waiting for the marker
            store.blobs.delete(orphan)
        writer.join(10)
        assert got and got[0].created and store.blobs.exists(orphan)
    finally:
        store.close()


def test_gc_with_the_object_store_down_is_one_line(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liuhen.services.admin.setup import initialise

    initialise(sqlite_settings, admin_password=ADMIN_PASSWORD)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    _env(sqlite_settings, monkeypatch)
    monkeypatch.setenv("LIUHEN_STORE_URL", "s3://liuhen-gc/down")
    monkeypatch.setenv("LIUHEN_S3_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("LIUHEN_S3_ACCESS_KEY", "k")
    monkeypatch.setenv("LIUHEN_S3_SECRET_KEY", "s")
    down = run_cli(["gc"])
    _one_line_error(down, 1)
    assert "对象存储" in down.err and "LIUHEN_S3_ENDPOINT" in down.err


def test_the_documented_gc_commands_run_as_written(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands of docs/security.md's "清理未登记的文件" section, in its order."""
    section = DOCS.read_text("utf-8").split("## 清理未登记的文件", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.+?)\n```", section, re.S)
    assert block is not None
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.group(1).splitlines()]
    commands = [c for c in commands if c and c[0] == "liuhen"]
    assert [c[1] for c in commands] == ["gc", "gc", "verify"]
    store, _ = _town(sqlite_settings, tmp_path)
    try:
        orphan = _orphan(store, "文档中的清理")
        _env(sqlite_settings, monkeypatch)
        for command in commands:
            result = run_cli(command[1:])
            assert result.code == 0, (command, result.out, result.err)
        assert orphan not in _stored(store) and len(_events(store, "store.reclaimed")) == 1
    finally:
        store.close()
