"""``liuhen user disable|enable|reset-totp``: the web's account changes from the server's
command line (the last administrator who lost their authenticator), each with its reason on
the ledger, refused with exit 2 when there is nothing to change or no such user."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.helpers import run_cli

from liuhen.config import Settings
from liuhen.services.admin.totp import is_enrolled
from liuhen.services.admin.users import find_user
from liuhen.store import tables as t
from liuhen.store.store import Store

PASSWORD = "Admin-pass-2026"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_disable_enable_and_reset_totp_from_the_command_line(env: None) -> None:
    disabled = run_cli(["user", "disable", "chendan", "--reason", "调离", "--json"])
    assert disabled.code == 0, disabled.err
    assert disabled.json() == {"username": "chendan", "change": "disabled"}
    again = run_cli(["user", "disable", "chendan", "--reason", "调离"])
    assert again.code == 2 and "已是停用状态" in again.err
    assert run_cli(["user", "enable", "chendan"]).code == 0
    reset = run_cli(["user", "reset-totp", "chendan", "--reason", "手机丢失"])
    assert reset.code == 0 and "重新绑定" in reset.out  # ``user add`` issued a secret
    missing = run_cli(["user", "enable", "nobody"])
    assert missing.code == 2 and "不存在" in missing.err
    unsure = run_cli(["user", "disable", "admin"])
    assert unsure.code == 2 and "--reason" in unsure.err
    store = Store.open(Settings.from_env())
    try:
        user = find_user(store, "chendan")
        assert user is not None and not user.disabled and not is_enrolled(store, user.id)
        ev = t.ledger_events
        with store.read() as conn:
            reasons = conn.execute(
                select(ev.c.action, ev.c.payload)
                .where(ev.c.subject_id == user.id, ev.c.action.like("user.%"))
                .order_by(ev.c.seq)
            ).all()
        assert [(a, p.get("reason")) for a, p in reasons] == [
            ("user.created", None),
            ("user.disabled", "调离"),
            ("user.enabled", ""),
            ("user.totp_reset", "手机丢失"),
        ]
    finally:
        store.close()


def test_an_officer_may_not_disable_anyone(env: None) -> None:
    assert run_cli(["user", "add", "zhang", "--name", "张三", "--role", "officer",
                    "--password", PASSWORD]).code == 0  # fmt: skip
    refused = run_cli(["--as", "zhang", "user", "disable", "chendan", "--reason", "越权"])
    assert refused.code == 3 and "无权" in refused.err
