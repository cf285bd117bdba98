"""The checkpoint signing key file: created private and whole, reused, refused when it
holds anything but an Ed25519 key, and encrypted at rest with a passphrase (issue 13)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from liuhen.config import Settings
from liuhen.errors import ConfigError
from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.store.keys import (
    is_encrypted,
    key_passphrase,
    load_or_create_key,
    protect_key,
    read_key,
)


def test_key_file_is_created_private_with_parents_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "nested" / "ledger.pem"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_or_create_key(path)
    assert key_fingerprint(again.public_key()) == key_fingerprint(key.public_key())
    assert [p.name for p in path.parent.iterdir()] == ["ledger.pem"]  # no temp file left


def test_a_key_file_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not a key")
    with pytest.raises(ValueError, match="garbage.pem: not an unencrypted PEM private key"):
        load_or_create_key(garbage)
    ec = tmp_path / "ec.pem"
    ec.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="ec.pem: not an Ed25519 key"):
        load_or_create_key(ec)


def test_a_key_created_with_a_passphrase_is_encrypted_and_opens_only_with_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys" / "ledger.pem"
    key = load_or_create_key(path, b"right horse battery")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert is_encrypted(path)
    opened, problem = read_key(path, b"right horse battery")
    assert problem is None and opened is not None
    assert key_fingerprint(opened) == key_fingerprint(key)
    with pytest.raises(ConfigError, match="已用口令加密，但没有设置口令") as missing:
        read_key(path)
    assert "LIUHEN_KEY_PASSPHRASE_FILE" in missing.value.message
    with pytest.raises(ConfigError, match="口令不能解开签名密钥") as wrong:
        read_key(path, b"wrong")
    assert "LIUHEN_KEY_PASSPHRASE" in wrong.value.message


def test_protect_key_encrypts_and_decrypts_in_place_keeping_the_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ledger.pem"
    key = load_or_create_key(path)
    assert protect_key(path, b"pass-1", encrypt=True) is True
    assert is_encrypted(path) and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert protect_key(path, b"pass-1", encrypt=True) is False  # already encrypted
    with pytest.raises(ConfigError, match="口令不能解开"):
        protect_key(path, b"pass-2", encrypt=False)
    assert protect_key(path, b"pass-1", encrypt=False) is True
    assert not is_encrypted(path)
    plain, _ = read_key(path)
    assert plain is not None and key_fingerprint(plain) == key_fingerprint(key)
    with pytest.raises(ConfigError, match="需要口令"):
        protect_key(path, None, encrypt=True)
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.pem"]  # no temp left


def test_the_passphrase_comes_from_its_file_first_then_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_bytes(b"from the file\nsecond line ignored\n")
    base = {"LIUHEN_DATA_DIR": str(tmp_path / "d"), "LIUHEN_KEY_PASSPHRASE": "from env"}
    assert key_passphrase(Settings.from_env(base)) == b"from env"
    both = Settings.from_env({**base, "LIUHEN_KEY_PASSPHRASE_FILE": str(secret)})
    assert key_passphrase(both) == b"from the file"
    assert both.describe()["LIUHEN_KEY_PASSPHRASE"] == "******"
    assert "from env" not in repr(both)
    secret.write_bytes(b"\n")
    with pytest.raises(ConfigError, match="LIUHEN_KEY_PASSPHRASE_FILE: 口令文件 .* 是空的"):
        key_passphrase(both)
    gone = Settings.from_env({**base, "LIUHEN_KEY_PASSPHRASE_FILE": str(tmp_path / "none")})
    with pytest.raises(ConfigError, match="LIUHEN_KEY_PASSPHRASE_FILE: 口令文件 .* 无法读取"):
        key_passphrase(gone)
