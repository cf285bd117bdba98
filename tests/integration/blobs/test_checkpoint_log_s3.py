"""The checkpoint log of a store whose blobs are in S3 (SeaweedFS) lives beside them, one
object per checkpoint, so every node writes and reads the same log: no node-local
``checkpoints.jsonl``; ``verify`` finds an object taken away; a store that kept its log in
the data directory before is begun from that file at the next start."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.ledger.events import Actor
from liuhen.services.admin.backup import back_up
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.store.recovery import catch_up_checkpoint_log
from liuhen.store.store import Store

from .conftest import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY

pytestmark = pytest.mark.s3
OPERATOR = Actor(id=None, label="命令行操作员（测试）", roles=("admin",))


@pytest.fixture
def s3_settings(seaweedfs: str, tmp_path: Path, make_settings: Any) -> Any:
    env = {
        "LIUHEN_STORE_URL": f"s3://{S3_BUCKET}/log-{uuid.uuid4().hex[:8]}",
        "LIUHEN_S3_ENDPOINT": seaweedfs,
        "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
    }
    settings = make_settings(tmp_path / "data", env=env)
    initialise(settings, admin_password=ADMIN_PASSWORD)
    return settings


def test_the_log_is_in_the_object_store_and_verify_reads_it_there(
    s3_settings: Any, tmp_path: Path
) -> None:
    store = Store.open(s3_settings)
    try:
        make_case_with_files(store, tmp_path)
        shared = store.checkpoint_log.shared
        assert shared is not None and shared.location.startswith(f"s3://{S3_BUCKET}/log-")
        assert not s3_settings.checkpoint_log_path.exists()  # nothing node-local
        with store.read() as conn:
            signed = conn.exec_driver_sql("SELECT count(*) FROM checkpoints").scalar()
        assert len(shared.keys()) == signed and shared.newest() == signed  # sizes 1…n
        assert verify(store, SYSTEM).ok
        back_up(store, OPERATOR, tmp_path / "backup")  # the backup holds the shared log
        held = (tmp_path / "backup" / "checkpoints.jsonl").read_bytes().splitlines()
        assert held[: len(shared.lines()) - 1] == shared.lines()[:-1]  # (+ the backup's own)
        assert len(held) >= signed
        gone = shared.keys()[1]
        store.blobs._client.delete_object(Bucket=S3_BUCKET, Key=gone)
        report = verify(store, SYSTEM)
        [problem] = [p for p in report.problems if p.kind == "checkpoint_log_incomplete"]
        assert (
            problem.object == shared.location and "缺少数据库已签名的 1 个检查点" in problem.message
        )
    finally:
        store.close()


def test_a_log_kept_in_the_data_directory_begins_the_shared_one(s3_settings: Any) -> None:
    store = Store.open(s3_settings)
    try:
        shared = store.checkpoint_log.shared
        assert shared is not None
        lines = shared.lines()
        for key in shared.keys():  # as before the log was shared: only the node's file
            store.blobs._client.delete_object(Bucket=S3_BUCKET, Key=key)
        s3_settings.checkpoint_log_path.write_bytes(b"\n".join(lines) + b"\n")
        assert not verify(store, SYSTEM).ok
        assert catch_up_checkpoint_log(store) == {shared.location: len(lines)}
        assert [json.loads(x) for x in shared.lines()] == [json.loads(x) for x in lines]
        assert verify(store, SYSTEM).ok
    finally:
        store.close()


def test_restoring_an_older_backup_sets_the_bucket_log_aside_and_says_so(
    s3_settings: Any, tmp_path: Path
) -> None:
    from liuhen.services.admin.restore import restore

    store = Store.open(s3_settings)
    try:
        make_case_with_files(store, tmp_path)
        back_up(store, OPERATOR, tmp_path / "backup")
        (tmp_path / "later").mkdir()
        make_case_with_files(store, tmp_path / "later", number="测试〔2026〕2号")  # rolled back
        shared = store.checkpoint_log.shared
        assert shared is not None
        newest = shared.newest()
    finally:
        store.close()

    done = restore(s3_settings, OPERATOR, tmp_path / "backup", force=True)

    assert done["superseded"]["size"] == newest
    assert "checkpoint_log" in done["superseded"]["known_from"]
    again = Store.open(s3_settings)
    try:
        assert verify(again, SYSTEM).ok
        log = again.checkpoint_log.shared
        assert log is not None and log.newest() == again.latest_checkpoint()["tree_size"]
        aside = log.prefix.replace("checkpoint-log/", "checkpoint-log-replaced-")
        kept = again.blobs._client.list_objects_v2(Bucket=S3_BUCKET, Prefix=aside)
        assert max(int(o["Key"].rsplit("/", 1)[1][:12]) for o in kept["Contents"]) == newest
    finally:
        again.close()
