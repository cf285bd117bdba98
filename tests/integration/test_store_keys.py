"""The checkpoint signing key file: created private and whole, reused, and refused when it
holds anything but an Ed25519 key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.store.keys import load_or_create_key


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
