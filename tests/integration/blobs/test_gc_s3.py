"""``liuhen gc`` on a store whose blobs are in S3 (SeaweedFS): objects no row refers to are
listed with their object keys and reclaimed on the ledger, the registered object stays and
the store verifies; a writer that found an object stored before gc deleted it is refused at
its commit (the object is asked for under the ledger's head) and stores it again."""

from __future__ import annotations

import io
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import SYSTEM, make_case_with_files, run_cli

from liuhen.errors import Conflict
from liuhen.ledger.events import Actor
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.gc import reclaim, unreferenced
from liuhen.services.archiving.integrity import verify
from liuhen.services.av.rows import register_blob
from liuhen.services.cases.files import store_file
from liuhen.store import tables as t
from liuhen.store.store import Store

from .conftest import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY

OPERATOR = Actor(id=None, label="命令行操作员（测试）", roles=("admin",))
LATER = 2 * 86400.0
"""Seconds the listing looks ahead: S3 keeps each object's Last-Modified, so the objects
are aged by listing as if two days had passed."""


def _s3_store(seaweedfs: str, tmp_path: Path, make_settings: Any) -> tuple[Store, dict[str, str]]:
    env = {
        "LIUHEN_STORE_URL": f"s3://{S3_BUCKET}/gc-{uuid.uuid4().hex[:8]}",
        "LIUHEN_S3_ENDPOINT": seaweedfs,
        "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
    }
    settings = make_settings(tmp_path / "data", env=env)
    initialise(settings, admin_password=ADMIN_PASSWORD)
    return Store.open(settings), env


def _orphan(store: Store, text: str) -> str:
    info = store.blobs.ingest(io.BytesIO(text.encode("utf-8") * 100))
    store.blobs.settle([info.sha256])  # its row never came
    return info.sha256


def test_unreferenced_s3_objects_are_listed_reclaimed_and_recorded(
    seaweedfs: str, tmp_path: Path, make_settings: Any
) -> None:
    store, _env = _s3_store(seaweedfs, tmp_path, make_settings)
    try:
        town = make_case_with_files(store, tmp_path)
        orphans = {_orphan(store, "对象存储中无人引用的文件一"), _orphan(store, "无人引用二")}
        assert unreferenced(store, timedelta(hours=24)).candidates == []  # all young
        listing = unreferenced(store, timedelta(hours=24), now=time.time() + LATER)
        assert {c.sha256 for c in listing.candidates} == orphans
        assert all(c.key.endswith(f"/sha256/{c.sha256}") for c in listing.candidates)
        done = reclaim(store, OPERATOR, listing)
        assert {r["sha256"] for r in done.removed} == orphans and done.kept == []
        assert set(store.blobs.iter_keys()) == {town["blob"]}
        with store.read() as conn:
            [payload] = conn.execute(
                select(t.ledger_events.c.payload).where(
                    t.ledger_events.c.action == "store.reclaimed"
                )
            ).scalars()
        assert {o["sha256"] for o in payload["objects"]} == orphans
        assert payload["location"].startswith(f"s3://{S3_BUCKET}/gc-")
        assert verify(store, SYSTEM).ok
    finally:
        store.close()


def test_gc_command_on_s3_deletes_and_a_late_writer_stores_the_bytes_again(
    seaweedfs: str, tmp_path: Path, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, env = _s3_store(seaweedfs, tmp_path, make_settings)
    try:
        data = "两个节点上的同一内容".encode() * 100
        orphan = _orphan(store, "两个节点上的同一内容")
        found = store.blobs.ingest(io.BytesIO(data))  # a writer finds it stored
        assert not found.created
        monkeypatch.setenv("LIUHEN_ENV", "test")
        monkeypatch.setenv("LIUHEN_DATA_DIR", str(store.settings.data_dir))
        monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        listed = run_cli(["gc", "--grace", "0", "--json"])
        assert listed.code == 0, listed.err
        assert [c["sha256"] for c in listed.json()["candidates"]] == [orphan]
        deleted = run_cli(["gc", "--grace", "0", "--delete", "--yes", "--json"])
        assert deleted.code == 0, deleted.err
        assert [r["sha256"] for r in deleted.json()["removed"]] == [orphan]
        assert not store.blobs.exists(orphan)
        with pytest.raises(Conflict, match="liuhen gc"), store.transaction(SYSTEM) as tx:
            register_blob(tx, store, found)
        assert store_file(store, SYSTEM, io.BytesIO(data)).created
        assert store.blobs.exists(orphan) and verify(store, SYSTEM).ok
    finally:
        store.close()
