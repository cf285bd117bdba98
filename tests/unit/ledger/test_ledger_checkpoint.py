"""Signed checkpoints: round trips, and any change to what was signed is refused."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.ledger.checkpoint import (
    Checkpoint,
    checkpoint_body,
    checkpoint_from_dict,
    checkpoint_to_dict,
    generate_key,
    key_fingerprint,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    sign_checkpoint,
    verify_checkpoint,
)

ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
BEIJING = timezone(timedelta(hours=8))


def make_checkpoint(**overrides: object) -> Checkpoint:
    fields: dict[str, object] = {
        "tree_size": 8,
        "root_hash": ROOT,
        "timestamp": datetime(2024, 5, 1, 16, 30, tzinfo=BEIJING),
        "origin": "liuhen/示例市场监管局",
    }
    fields.update(overrides)
    return Checkpoint(**fields)  # type: ignore[arg-type]


def test_body_is_origin_size_root_and_utc_time_lines() -> None:
    body = checkpoint_body(make_checkpoint())
    assert (
        body
        == (
            "liuhen/示例市场监管局\n"
            "8\n"
            "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
            "2024-05-01T08:30:00.000000Z\n"
        ).encode()
    )


def test_the_same_instant_in_another_zone_has_the_same_body() -> None:
    utc = make_checkpoint(timestamp=datetime(2024, 5, 1, 8, 30, tzinfo=UTC))
    assert checkpoint_body(utc) == checkpoint_body(make_checkpoint())


def test_sign_then_verify_round_trip() -> None:
    key = generate_key()
    cp = make_checkpoint()
    signature = sign_checkpoint(key, cp)
    assert len(signature) == 64
    assert verify_checkpoint(key.public_key(), cp, signature)


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": 9},
        {"tree_size": 0},
        {"root_hash": bytes([ROOT[0] ^ 1]) + ROOT[1:]},
        {"timestamp": datetime(2024, 5, 1, 16, 30, 0, 1, tzinfo=BEIJING)},
        {"timestamp": datetime(2024, 5, 1, 16, 30, tzinfo=UTC)},
        {"origin": "liuhen/another-agency"},
    ],
    ids=["size+1", "size0", "root", "time+1us", "time-zone-misread", "origin"],
)
def test_a_changed_checkpoint_does_not_verify(change: dict[str, object]) -> None:
    key = generate_key()
    signature = sign_checkpoint(key, make_checkpoint())
    altered = dataclasses.replace(make_checkpoint(), **change)  # type: ignore[arg-type]
    assert not verify_checkpoint(key.public_key(), altered, signature)


def test_a_changed_or_malformed_signature_does_not_verify() -> None:
    key = generate_key()
    cp = make_checkpoint()
    signature = sign_checkpoint(key, cp)
    for bad in (
        bytes([signature[0] ^ 1]) + signature[1:],
        signature[:-1] + bytes([signature[-1] ^ 0x80]),
        signature[:63],
        signature + b"\x00",
        b"",
        bytes(64),
        signature.hex(),
        None,
    ):
        assert verify_checkpoint(key.public_key(), cp, bad) is False  # type: ignore[arg-type]


def test_another_key_does_not_verify() -> None:
    cp = make_checkpoint()
    signature = sign_checkpoint(generate_key(), cp)
    assert not verify_checkpoint(generate_key().public_key(), cp, signature)
    assert verify_checkpoint(None, cp, signature) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": -1},
        {"tree_size": True},
        {"tree_size": "8"},
        {"root_hash": ROOT[:31]},
        {"root_hash": ROOT.hex()},
        {"timestamp": datetime(2024, 5, 1, 8, 30)},
        {"origin": ""},
        {"origin": "liuhen/a\nb"},
        {"origin": "liuhen/a b"},
        {"origin": "liuhen/a+b"},
        {"origin": "x" * 256},
    ],
)
def test_a_checkpoint_that_cannot_be_signed_cannot_be_made(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_checkpoint(**change)


def test_private_key_pem_round_trip_and_other_keys_refused() -> None:
    key = generate_key()
    pem = private_key_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key_fingerprint(load_private_key(pem)) == key_fingerprint(key)
    ec = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for other in (b"not a key", ec):
        with pytest.raises(ValueError):
            load_private_key(other)


def test_public_key_pem_round_trip_and_stable_fingerprint() -> None:
    key = generate_key()
    pem = public_key_pem(key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert public_key_pem(key.public_key()) == pem
    public = load_public_key(pem)
    fingerprint = key_fingerprint(public)
    assert fingerprint == key_fingerprint(key.public_key()) == key_fingerprint(key)
    assert fingerprint.startswith("SHA256:") and len(fingerprint) == 7 + 64
    assert key_fingerprint(generate_key().public_key()) != fingerprint
    with pytest.raises(ValueError):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_fingerprint_is_sha256_of_the_raw_public_key() -> None:
    # RFC 8032 §7.1 TEST 1: this secret key has this public key.
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    key = Ed25519PrivateKey.from_private_bytes(secret)
    expected = "SHA256:" + hashlib.sha256(public).hexdigest()
    assert key_fingerprint(key.public_key()) == expected
    assert key_fingerprint(load_public_key(public_key_pem(key))) == expected


def test_dict_form_round_trips_through_json_and_still_verifies() -> None:
    key = generate_key()
    cp = make_checkpoint()
    signature = sign_checkpoint(key, cp)
    d = checkpoint_to_dict(cp, signature, key_fingerprint(key))
    assert d["root_hash"] == ROOT.hex()
    assert d["timestamp"] == "2024-05-01T08:30:00.000000Z"
    back, back_signature, fingerprint = checkpoint_from_dict(json.loads(json.dumps(d)))
    assert back == cp
    assert back_signature == signature
    assert fingerprint == key_fingerprint(key)
    assert checkpoint_body(back) == checkpoint_body(cp)
    assert verify_checkpoint(key.public_key(), back, back_signature)


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": None},
        {"tree_size": "8"},
        {"tree_size": -1},
        {"root_hash": "zz"},
        {"root_hash": "00"},
        {"timestamp": "yesterday"},
        {"timestamp": "2024-05-01T08:30:00"},
        {"signature": "not base64!"},
        {"signature": base64.b64encode(bytes(63)).decode()},
        {"key_fingerprint": "MD5:abc"},
        {"origin": ""},
        {"origin": 7},
    ],
)
def test_a_malformed_dict_is_refused_with_value_error(change: dict[str, object]) -> None:
    key = generate_key()
    cp = make_checkpoint()
    d = checkpoint_to_dict(cp, sign_checkpoint(key, cp), key_fingerprint(key))
    d.update(change)
    with pytest.raises(ValueError):
        checkpoint_from_dict(d)


@pytest.mark.parametrize("missing", ["origin", "tree_size", "root_hash", "timestamp", "signature"])
def test_a_dict_missing_a_field_is_refused(missing: str) -> None:
    key = generate_key()
    cp = make_checkpoint()
    d = checkpoint_to_dict(cp, sign_checkpoint(key, cp), key_fingerprint(key))
    del d[missing]
    with pytest.raises(ValueError, match=missing):
        checkpoint_from_dict(d)
