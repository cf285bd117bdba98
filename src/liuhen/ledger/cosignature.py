"""C2SP ``tlog-cosignature`` (Ed25519, ``cosignature/v1``) and the ``tlog-witness``
``add-checkpoint`` request body.

A cosignature is a note signature line by a witness (type 0x04), whose signature is an
8-byte big-endian POSIX time followed by the Ed25519 signature over::

    cosignature/v1
    time <seconds>
    <the checkpoint's note text>

An add-checkpoint body is ``old <size>``, up to 63 base64 consistency-proof lines, a blank
line, then the signed checkpoint note. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.ledger.note import (
    COSIGNATURE_V1,
    Note,
    NoteSignature,
    Verifier,
    key_id,
    parse_note,
    raw_public,
)

MAX_PROOF = 63


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosign(key: Ed25519PrivateKey, name: str, note: Note, timestamp: int) -> NoteSignature:
    """The witness ``name``'s cosignature of ``note``'s checkpoint at ``timestamp``."""
    if not 0 < timestamp < 2**63:
        raise ValueError("a cosignature's time is a positive POSIX time")
    signature = key.sign(cosigned_message(note.text, timestamp))
    kid = key_id(name, COSIGNATURE_V1, raw_public(key))
    return NoteSignature(name, kid, timestamp.to_bytes(8, "big") + signature)


def cosigned_at(note: Note, witness: Verifier) -> int | None | bool:
    """The time of ``witness``'s valid cosignature on ``note``; None when the note has no
    line of that witness; False when it has one that does not verify."""
    found: int | None | bool = None
    for s in note.signatures:
        if s.name != witness.name or s.key_id != witness.key_id:
            continue
        if len(s.signature) != 72:
            return False
        timestamp = int.from_bytes(s.signature[:8], "big")
        try:
            witness.public_key.verify(s.signature[8:], cosigned_message(note.text, timestamp))
        except (InvalidSignature, ValueError):
            return False
        found = timestamp
    return found


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: list[bytes]
    note: Note


def add_checkpoint_body(old_size: int, proof: list[bytes], note: Note) -> bytes:
    lines = [f"old {old_size}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
    return ("".join(lines) + note.render()).encode("utf-8")


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """The request; ``ValueError`` for anything malformed (the witness answers 400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("request is not UTF-8") from exc
    head, sep, rest = text.partition("\n\n")
    if not sep:
        raise ValueError("request has no blank line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    size_text = first.removeprefix("old ")
    if first == size_text or not size_text.isascii() or not size_text.isdigit():
        raise ValueError("first line is not 'old <size>'")
    if size_text != str(int(size_text)):
        raise ValueError("old size has leading zeros")
    if len(lines) - 1 > MAX_PROOF:
        raise ValueError(f"more than {MAX_PROOF} proof lines")
    proof: list[bytes] = []
    for line in lines[1:]:
        try:
            proof.append(base64.b64decode(line, validate=True))
        except binascii.Error as exc:
            raise ValueError(f"proof line is not base64: {line!r}") from exc
    return AddCheckpoint(int(size_text), proof, parse_note(rest))
