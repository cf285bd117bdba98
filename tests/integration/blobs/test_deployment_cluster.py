"""docs/deployment.md's cluster steps as written, on PostgreSQL and SeaweedFS with two data
directories (two nodes): the first node begins the ledger; the second is refused a key of
its own and told which one to install; with the first node's key copied it initialises and
its ``verify`` is clean (the checkpoint log is the bucket's, not either node's); a job
runner from the command line makes this hour's scheduled jobs once, on either node."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from tests.cli.test_deployment_doc import _commands, _env, _run, _section

from .conftest import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY

pytestmark = pytest.mark.s3


def test_cluster_nodes_share_one_key_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str, seaweedfs: str
) -> None:
    commands = _commands(_section("一个县的集群 / A county cluster"))
    assert [c[1] for c in commands] == ["init", "init", "init", "serve", "jobs"]
    prefix = f"s3://{S3_BUCKET}/county-{uuid.uuid4().hex[:8]}"
    first, second = tmp_path / "node1", tmp_path / "node2"

    def node(data_dir: Path) -> None:
        _env(monkeypatch, data_dir, pg_database)
        monkeypatch.setenv("LIUHEN_STORE_URL", prefix)
        monkeypatch.setenv("LIUHEN_S3_ENDPOINT", seaweedfs)
        monkeypatch.setenv("LIUHEN_S3_ACCESS_KEY", S3_ACCESS_KEY)
        monkeypatch.setenv("LIUHEN_S3_SECRET_KEY", S3_SECRET_KEY)

    node(first)
    code, out = _run(commands[0])
    assert code == 0, out
    node(second)
    code, out = _run(commands[1])  # the database holds a ledger: no new key, say which
    assert code == 2 and "不会为已有日志生成新密钥" in out, out
    assert not any((second / "keys").glob("*.pem"))
    shutil.copytree(first / "keys", second / "keys", dirs_exist_ok=True)
    code, out = _run(commands[2])
    assert code == 0, out
    code, out = _run(["liuhen", "verify"])  # node 2 reads the bucket's checkpoint log
    assert code == 0, out
    code, out = _run(commands[4] + ["--json"])  # the scheduled jobs of this hour, run here
    # export_cleanup (hourly), job_cleanup (daily) and fixity (the deployment's interval)
    assert code == 0 and '"scheduled": 3' in out, out
    node(first)
    code, out = _run(["liuhen", "verify"])
    assert code == 0, out
    code, out = _run(commands[4] + ["--json"])  # made already, on the other node: none
    assert code == 0 and '"scheduled": 0' in out and '"ran": 0' in out, out
