"""``liuhen station add|list|revoke`` issue docking-station tokens; ``import-av`` refuses a
folder the disk cannot hold before copying anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import SYSTEM, run_cli

from liuhen.config import Settings
from liuhen.services.admin.agency import create_agency
from liuhen.services.av.stations import authenticate_station
from liuhen.store.store import Store

PASSWORD = "Admin-pass-2026"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "LIUHEN_DATA_DIR": str(tmp_path / "data"),
        "LIUHEN_ADMIN_PASSWORD": PASSWORD,
        "LIUHEN_ENV": "test",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIUHEN_STORE_URL", raising=False)
    assert run_cli(["init", "--json"]).code == 0
    made = run_cli(
        ["user", "add", "chendan", "--name", "陈丹", "--role", "custodian", "--password", PASSWORD]
    )
    assert made.code == 0, made.err
    return values


def test_a_token_is_shown_once_works_and_stops_working_when_revoked(env: dict[str, str]) -> None:
    added = run_cli(["station", "add", "一号采集站", "--user", "chendan", "--json"])
    assert added.code == 0, added.err
    station = added.json()
    token = station["token"]
    assert token.startswith("lhs_")
    store = Store.open(Settings.from_env())
    try:
        assert authenticate_station(store, token).name == "一号采集站"
        listed = run_cli(["station", "list", "--json"])
        assert token not in listed.out and listed.json()[0]["user"] == "chendan"
        assert run_cli(["station", "revoke", station["id"]]).code == 0
        from liuhen.errors import AuthError

        with pytest.raises(AuthError, match="吊销"):
            authenticate_station(store, token)
    finally:
        store.close()
    refused = run_cli(["station", "add", "二号", "--user", "nobody"])
    assert refused.code == 2 and "不存在" in refused.err


def test_import_av_refuses_a_folder_larger_than_the_free_disk(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    dock = tmp_path / "dock"
    dock.mkdir()
    (dock / "big.mp4").write_bytes(b"\0" * 1000)
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    monkeypatch.setenv("LIUHEN_UPLOAD_RESERVE_MB", str(free_mb + 10))
    store = Store.open(Settings.from_env())
    try:  # the agency receiving the footage (import-av refuses when it cannot tell)
        create_agency(store, SYSTEM, name="测试镇人民政府", profile_id="shanxi-township")
    finally:
        store.close()
    result = run_cli(["import-av", str(dock)])
    assert result.code == 1
    assert "磁盘剩余空间不足" in result.err
    assert run_cli(["verify", "--json"]).json()["blobs"] == 0
