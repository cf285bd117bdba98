"""The signing key encrypted at rest (issue 13): ``liuhen init`` creates it encrypted when a
passphrase is set, encrypts or decrypts an existing one in place, and every command that
reads it needs the passphrase: missing or wrong is one line naming the setting, exit 2,
and nothing written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.helpers import run_cli

PASSWORD = "Admin-pass-2026"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    passphrase = tmp_path / "secrets" / "key-passphrase"
    passphrase.parent.mkdir()
    passphrase.write_text("correct horse battery staple\n")
    values = {
        "LIUHEN_DATA_DIR": str(tmp_path / "data"),
        "LIUHEN_ADMIN_PASSWORD": PASSWORD,
        "LIUHEN_ENV": "test",
        "LIUHEN_KEY_PASSPHRASE_FILE": str(passphrase),
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    for name in ("LIUHEN_DATABASE_URL", "LIUHEN_STORE_URL", "LIUHEN_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    return values


def _key(env: dict[str, str]) -> Path:
    return Path(env["LIUHEN_DATA_DIR"]) / "keys" / "ledger-ed25519.pem"


def _events(env: dict[str, str]) -> int:
    with sqlite3.connect(Path(env["LIUHEN_DATA_DIR"]) / "liuhen.sqlite3") as db:
        return int(db.execute("select count(*) from ledger_events").fetchone()[0])


def _one_line_error(result, *names: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    for name in names:
        assert name in result.err


def test_init_with_a_passphrase_creates_the_key_encrypted_and_readers_need_it(env, monkeypatch):
    made = run_cli(["init", "--json"])
    assert made.code == 0, made.err
    assert made.json()["key_encrypted"] is True
    assert _key(env).read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert (_key(env).stat().st_mode & 0o077) == 0
    before = _events(env)
    monkeypatch.delenv("LIUHEN_KEY_PASSPHRASE_FILE")
    for command in (["cases"], ["verify"], ["serve", "--port", "1"], ["demo"]):
        _one_line_error(run_cli(command), "LIUHEN_KEY_PASSPHRASE_FILE", "已用口令加密")
    monkeypatch.setenv("LIUHEN_KEY_PASSPHRASE", "not the passphrase")
    for command in (["cases"], ["verify", "--json"], ["init"]):
        _one_line_error(run_cli(command), "LIUHEN_KEY_PASSPHRASE", "口令不能解开签名密钥")
    assert _events(env) == before  # nothing was written without the key
    monkeypatch.setenv("LIUHEN_KEY_PASSPHRASE", "correct horse battery staple")
    checked = run_cli(["verify", "--json"])
    assert checked.code == 0 and checked.json()["ok"] is True


def test_an_existing_key_is_encrypted_and_decrypted_in_place_with_the_same_fingerprint(
    env, monkeypatch
):
    monkeypatch.delenv("LIUHEN_KEY_PASSPHRASE_FILE")
    plain = run_cli(["init", "--json"]).json()
    assert plain["key_encrypted"] is False
    refused = run_cli(["init", "--encrypt-key"])
    _one_line_error(refused, "LIUHEN_KEY_PASSPHRASE_FILE", "需要口令")
    monkeypatch.setenv("LIUHEN_KEY_PASSPHRASE_FILE", env["LIUHEN_KEY_PASSPHRASE_FILE"])
    locked = run_cli(["init", "--encrypt-key", "--json"]).json()
    assert locked["key_encrypted"] is True and locked["key_changed"] is True
    assert locked["key_fingerprint"] == plain["key_fingerprint"]
    assert run_cli(["init", "--encrypt-key", "--json"]).json()["key_changed"] is False
    assert run_cli(["verify", "--json"]).code == 0
    opened = run_cli(["init", "--decrypt-key"])
    assert opened.code == 0 and "已解密" in opened.out
    assert _key(env).read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    monkeypatch.delenv("LIUHEN_KEY_PASSPHRASE_FILE")
    report = run_cli(["ledger", "proof", "1", "--json"])
    assert report.code == 0, report.err
    with sqlite3.connect(Path(env["LIUHEN_DATA_DIR"]) / "liuhen.sqlite3") as db:
        actions = [a for (a,) in db.execute("select action from ledger_events order by seq")]
    assert actions.count("system.key_encrypted") == 1
    assert actions.count("system.key_decrypted") == 1
