"""A signing-key rotation statement: a signed note by the OLD key naming the new one.

The note text is::

    liuhen-key-rotation/v1
    <origin>                    the log whose key changes (the origin stays the same)
    <new key's vkey>            ``<origin>+<key ID>+base64(0x01 || public key)``
    <tree size>                 the ledger's size when the rotation was written

signed (type 0x01) by the key being retired. The ledger records it in a
``ledger.key_rotated`` event, ``verify`` accepts a new key only through such a statement,
and a witness moves its pinned key only when shown one signed by the key it pinned. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from liuhen.ledger.note import ED25519, Note, Verifier, note_signed_by, parse_vkey, sign_note, vkey

HEADER = "liuhen-key-rotation/v1"
ROTATED = "ledger.key_rotated"
"""The ledger event that records a rotation: its payload holds the statement and the old
and new keys' fingerprints (``services.admin.rotation``)."""


@dataclass(frozen=True)
class Rotation:
    origin: str
    new_key: Verifier
    tree_size: int
    note: Note


def rotation_note(
    origin: str, old: Ed25519PrivateKey, new: Ed25519PublicKey, tree_size: int
) -> Note:
    text = f"{HEADER}\n{origin}\n{vkey(origin, new)}\n{tree_size}\n"
    return Note(text, (sign_note(text, origin, old),))


def parse_rotation(note: Note) -> Rotation:
    """The statement in ``note`` (its signature is ``rotation_signed_by``'s to check);
    ``ValueError`` when it is not one."""
    lines = note.text.split("\n")
    if len(lines) != 5 or lines[0] != HEADER or lines[4] != "":
        raise ValueError("not a key rotation statement")
    origin, new_text, size_text = lines[1:4]
    new_key = parse_vkey(new_text)
    if new_key.name != origin or new_key.sig_type != ED25519:
        raise ValueError("the new key is not named by the log's origin")
    if not size_text.isascii() or not size_text.isdigit():
        raise ValueError("rotation tree size is not a decimal")
    return Rotation(origin, new_key, int(size_text), note)


def rotation_signed_by(rotation: Rotation, old: Verifier) -> bool:
    """Whether the statement carries a valid signature of ``old`` (the key it retires)."""
    return old.name == rotation.origin and note_signed_by(rotation.note, old) is True
