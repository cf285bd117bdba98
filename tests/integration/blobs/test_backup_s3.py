"""Backup and restore of a store whose blobs are in S3 (SeaweedFS): the backup lists every
object with its digests instead of copying the bucket; a restore onto a new machine checks
the bucket still holds each one, and refuses, changing nothing, when one is gone."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.errors import StorageError
from liuhen.ledger.events import Actor
from liuhen.services.admin.backup import back_up
from liuhen.services.admin.restore import restore
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.store.store import Store

from .conftest import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY

OPERATOR = Actor(id=None, label="命令行操作员（测试）", roles=("admin",))


def test_an_s3_store_is_backed_up_as_a_listing_and_restored_against_the_bucket(
    seaweedfs: str, tmp_path: Path, make_settings: Any
) -> None:
    env = {
        "LIUHEN_STORE_URL": f"s3://{S3_BUCKET}/backup-{uuid.uuid4().hex[:8]}",
        "LIUHEN_S3_ENDPOINT": seaweedfs,
        "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
    }
    settings = make_settings(tmp_path / "data", env=env)
    initialise(settings, admin_password=ADMIN_PASSWORD)
    store = Store.open(settings)
    try:
        made = make_case_with_files(store, tmp_path)
        done = back_up(store, OPERATOR, tmp_path / "backup")
    finally:
        store.close()
    assert done["blob_store"]["kind"] == "s3" and not done["blob_store"]["copied"]
    listed = [
        json.loads(x) for x in (tmp_path / "backup" / "blobs.jsonl").read_text().split("\n") if x
    ]
    assert [o["sha256"] for o in listed] == [made["blob"]]
    assert listed[0]["key"].endswith(f"/sha256/{made['blob']}")
    assert not (tmp_path / "backup" / "blobs").exists()

    fresh = make_settings(tmp_path / "new-machine", env=env)
    restored = restore(fresh, OPERATOR, tmp_path / "backup")
    assert restored["superseded"] is None and restored["blobs_put"] == 0
    again = Store.open(fresh)
    try:
        assert verify(again, SYSTEM).ok
        again.blobs.delete(made["blob"])  # the bucket lost it (no replication)
    finally:
        again.close()
    third = make_settings(tmp_path / "third", env=env)
    kept = sorted(p.name for p in third.data_dir.iterdir())
    with pytest.raises(StorageError, match="缺少备份清单所列的 1 个文件") as refused:
        restore(third, OPERATOR, tmp_path / "backup")
    assert "未改动任何数据" in str(refused.value)
    assert sorted(p.name for p in third.data_dir.iterdir()) == kept
