"""C2SP signed notes, checkpoints as notes, cosignature/v1 and the add-checkpoint body.

The vkey and the signed note of ``SPEC_VKEY`` / ``SPEC_NOTE`` are the example of
c2sp.org/signed-note ("Verifier keys", Example)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from liuhen.ledger.checkpoint import Checkpoint, checkpoint_body, generate_key, sign_checkpoint
from liuhen.ledger.cosignature import (
    add_checkpoint_body,
    cosign,
    cosigned_at,
    cosigned_message,
    parse_add_checkpoint,
)
from liuhen.ledger.merkle import MerkleTree, leaf_hash
from liuhen.ledger.note import (
    COSIGNATURE_V1,
    Note,
    checkpoint_note,
    key_id,
    log_entry,
    note_signed_by,
    parse_checkpoint_text,
    parse_note,
    parse_vkey,
    raw_public,
    read_log_entry,
    vkey,
)

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3"
    "mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_the_signed_note_specs_example_verifies_with_its_vkey():
    verifier = parse_vkey(SPEC_VKEY)
    note = parse_note(SPEC_NOTE)
    assert verifier.name == "example.com/foo" and verifier.key_id.hex() == "530d903a"
    assert note.text == "This is an example message.\n"
    assert note_signed_by(note, verifier) is True
    assert note.render() == SPEC_NOTE
    assert verifier.text == SPEC_VKEY


def test_a_changed_note_fails_and_an_unknown_key_is_ignored():
    verifier = parse_vkey(SPEC_VKEY)
    changed = parse_note(SPEC_NOTE.replace("example message", "example massage"))
    assert note_signed_by(changed, verifier) is False
    other = parse_vkey(vkey("example.com/bar", generate_key()))
    assert note_signed_by(parse_note(SPEC_NOTE), other) is None


@pytest.mark.parametrize(
    "text",
    [
        "no blank line\n\u2014 a AAAAAAA=\n",
        "text\n\n",
        "text\n\n- a AAAAAAAA\n",
        "text\n\n\u2014 a not-base64!\n",
        "text\n\n\u2014 a AAAA\n",  # shorter than a key ID and one byte
        "te\x01xt\n\n\u2014 a AAAAAAAA\n",
        "text\n\n\u2014 a AAAAAAAA",
    ],
)
def test_malformed_notes_are_refused(text):
    with pytest.raises(ValueError):
        parse_note(text)


def test_vkey_parsing_checks_the_key_id_and_type():
    key = generate_key()
    good = vkey("example.org/log", key)
    name, kid, material = good.split("+", 2)
    assert key_id(name, 1, raw_public(key)).hex() == kid
    with pytest.raises(ValueError):
        parse_vkey(f"{name}+00000000+{material}")
    with pytest.raises(ValueError):
        parse_vkey(f"{name}+{kid}")
    typed = base64.b64encode(b"\x07" + raw_public(key)).decode()
    with pytest.raises(ValueError):
        parse_vkey(f"{name}+{key_id(name, 7, raw_public(key)).hex()}+{typed}")


def _checkpoint(size: int = 5) -> tuple[Checkpoint, MerkleTree]:
    tree = MerkleTree([leaf_hash(bytes([i])) for i in range(size)])
    when = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    return Checkpoint(size, tree.root(), when, "liuhen/0123456789abcdef"), tree


def test_a_checkpoint_note_carries_the_old_signature_and_reads_back():
    key = generate_key()
    cp, _tree = _checkpoint()
    signature = sign_checkpoint(key, cp)
    note = checkpoint_note(cp, signature, key.public_key())
    assert note.text.encode() == checkpoint_body(cp)
    assert note_signed_by(note, parse_vkey(vkey(cp.origin, key))) is True
    assert parse_checkpoint_text(note.text) == cp
    claim = f"key ID {key_id(cp.origin, 1, raw_public(key)).hex()}"
    assert read_log_entry(log_entry(cp, signature, key.public_key())) == (cp, signature, claim)


def test_old_json_log_lines_still_read():
    from liuhen.ledger.checkpoint import checkpoint_to_dict

    key = generate_key()
    cp, _tree = _checkpoint()
    entry = checkpoint_to_dict(cp, sign_checkpoint(key, cp), "SHA256:" + "ab" * 32)
    assert read_log_entry(entry) == (cp, sign_checkpoint(key, cp), "SHA256:" + "ab" * 32)


@pytest.mark.parametrize(
    "text",
    [
        "o\n5\nAAAA\n2026-01-01T00:00:00.000000Z\n",
        "o\n05\n" + base64.b64encode(b"\0" * 32).decode() + "\n2026-01-01T00:00:00.000000Z\n",
        "o\n5\n" + base64.b64encode(b"\0" * 32).decode() + "\n",
        "o\n5\n" + base64.b64encode(b"\0" * 32).decode() + "\nyesterday\n",
    ],
)
def test_malformed_checkpoint_texts_are_refused(text):
    with pytest.raises(ValueError):
        parse_checkpoint_text(text)


def test_a_cosignature_verifies_with_its_time_and_only_over_that_checkpoint():
    log_key, witness_key = generate_key(), generate_key()
    cp, _tree = _checkpoint()
    note = checkpoint_note(cp, sign_checkpoint(log_key, cp), log_key.public_key())
    line = cosign(witness_key, "county.example/witness", note, 1_700_000_000)
    witness = parse_vkey(vkey("county.example/witness", witness_key, COSIGNATURE_V1))
    assert line.key_id == witness.key_id
    assert line.signature[:8] == (1_700_000_000).to_bytes(8, "big")
    cosigned = note.with_signatures([line])
    assert cosigned_at(cosigned, witness) == 1_700_000_000
    assert cosigned_at(parse_note(cosigned.render()), witness) == 1_700_000_000
    assert cosigned_message(note.text, 7).startswith(b"cosignature/v1\ntime 7\nliuhen/")
    other_cp, _ = _checkpoint(6)
    moved = Note(checkpoint_body(other_cp).decode(), cosigned.signatures)
    assert cosigned_at(moved, witness) is False
    assert cosigned_at(note, witness) is None


def test_the_add_checkpoint_body_round_trips_and_refuses_malformed_ones():
    key = generate_key()
    cp, tree = _checkpoint(7)
    note = checkpoint_note(cp, sign_checkpoint(key, cp), key.public_key())
    proof = tree.consistency_proof(3, 7)
    body = add_checkpoint_body(3, proof, note)
    assert body.startswith(b"old 3\n")
    parsed = parse_add_checkpoint(body)
    assert (parsed.old_size, parsed.proof, parsed.note) == (3, proof, note)
    for bad in (b"old 03\n\n" + note.render().encode(), b"new 3\n\n", b"old 3\n!!\n\n", b"\xff"):
        with pytest.raises(ValueError):
            parse_add_checkpoint(bad)
    with pytest.raises(ValueError):
        parse_add_checkpoint(b"old 1\n" + b"AAAA\n" * 64 + b"\n" + note.render().encode())
