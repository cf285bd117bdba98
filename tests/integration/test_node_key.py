"""One signing key for every node (issue 14 item 3): a second node pointed at an existing
ledger is not given a key of its own by ``liuhen init`` but told how to install the shared
one; a node holding another key refuses to start (``serve``, the commands that write) in one
line, exit code 2, before it signs anything; with the shared key installed it works."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import run_cli

from liuhen.ledger.checkpoint import generate_key, key_fingerprint, private_key_pem
from liuhen.services.admin.setup import initialise
from liuhen.store import tables as t
from liuhen.store.store import Store

pytestmark = pytest.mark.postgres


def _events(settings: Any) -> int:
    store = Store.open(settings)
    try:
        with store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.ledger_events)).scalar())
    finally:
        store.close()


def test_a_second_node_installs_the_shared_key_and_one_with_another_key_refuses(
    make_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_settings(tmp_path / "a", engine="postgres")
    initialise(first, admin_password=ADMIN_PASSWORD)
    store = Store.open(first)
    recorded = store.fingerprint
    store.close()
    second = tmp_path / "b"
    key = second / "keys" / first.signing_key_path.name
    env = {
        "LIUHEN_DATA_DIR": str(second),
        "LIUHEN_DATABASE_URL": first.database_url,
        "LIUHEN_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }

    init = run_cli(["init"], env, monkeypatch)

    assert init.code == 2 and len(init.err.strip().splitlines()) == 1, init.err
    assert "不会为已有日志生成新密钥" in init.err and recorded in init.err and str(key) in init.err
    assert not key.exists()

    key.parent.mkdir(parents=True, exist_ok=True)
    other = generate_key()
    key.write_bytes(private_key_pem(other))
    before = _events(first)
    for args in (["serve", "--port", "1", "--without-pdf"], ["station", "list"]):
        refused = run_cli(args, env, monkeypatch)
        assert refused.code == 2 and len(refused.err.strip().splitlines()) == 1, refused.err
        assert "不是本库日志的签名密钥" in refused.err and key_fingerprint(other) in refused.err
        assert recorded in refused.err and "拒绝启动" in refused.err
    assert _events(first) == before  # nothing was signed with the other key
    checked = run_cli(["verify"], env, monkeypatch)  # verify only reads: it runs and reports
    assert checked.code == 1 and "日志事件" in checked.out and "拒绝启动" not in checked.err

    shutil.copy2(first.signing_key_path, key)  # the shared key, from its custody
    assert run_cli(["init"], env, monkeypatch).code == 0
    listed = run_cli(["station", "list"], env, monkeypatch)
    assert listed.code == 0, listed.err
