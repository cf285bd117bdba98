"""``liuhen ledger rotate-key``: replace the ledger's signing key, on the record.

The rotation is a ledger event (``ledger.key_rotated``) holding a statement signed by the
OLD key that names the new one (``ledger.rotation``); the transaction that records it is
signed by the old key, every checkpoint after it by the new one. ``verify`` follows the chain
of keys only through such events, and each HTTP witness is shown the statement, which it
accepts only when signed by the key it pinned.

Key files (``store.keys`` creates and reads them, encrypted at rest when that is set up):
the new key is made first as ``ledger-ed25519.next.pem``; after the commit the old file is
kept as ``ledger-ed25519.<fingerprint>.retired.pem`` and the new one takes its name. A crash
in between is finished at the next start (``finish_rotation``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.ledger.events import Actor
from liuhen.ledger.note import vkey
from liuhen.ledger.rotation import ROTATED, rotation_note
from liuhen.services.permissions import require
from liuhen.store.keys import key_passphrase, load_or_create_key, next_key_path, read_key
from liuhen.store.store import Store
from liuhen.store.witnesses import rotations

log = logging.getLogger("liuhen.witness")


def rotate_key(store: Store, actor: Actor) -> dict[str, Any]:
    """Record the rotation (signed by the old key), then sign with the new key."""
    require(actor, "ledger.checkpoint")
    old = store.key
    path = store.settings.signing_key_path
    new = load_or_create_key(next_key_path(path), key_passphrase(store.settings))
    size = store.event_count()
    statement = rotation_note(store.origin, old, new.public_key(), size).render()
    payload = {
        "old_key": vkey(store.origin, old),
        "old_fingerprint": key_fingerprint(old),
        "new_fingerprint": key_fingerprint(new),
        "statement": statement,
    }
    with store.transaction(actor) as tx:
        seq = tx.record(ROTATED, subject_type="store", subject_id="signing_key", payload=payload)
        tx.sign()  # by the key it retires, now (whatever LIUHEN_CHECKPOINT_MS)
    rotations.append(store.witnesses.folder, statement)
    sent = store.witnesses.announce_rotation(statement)
    _swap_files(path, old_fingerprint=payload["old_fingerprint"])
    store.use_key(new)
    return {**payload, "seq": seq, "witnesses": sent}


def _swap_files(path: Path, *, old_fingerprint: str) -> None:
    retired = path.with_name(
        f"{path.stem}.{old_fingerprint.removeprefix('SHA256:')[:16]}.retired.pem"
    )
    if path.exists() and not retired.exists():
        os.link(path, retired)
    os.replace(next_key_path(path), path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def finish_rotation(store: Store, recorded_new: str | None) -> bool:
    """At a start: a ``.next`` key the ledger already rotated to (``recorded_new``, the
    newest rotation's fingerprint) replaces the current file; True when it did."""
    path = store.settings.signing_key_path
    nxt = next_key_path(path)
    if recorded_new is None or not nxt.exists():
        return False
    key, _why = read_key(nxt, key_passphrase(store.settings))
    if key is None or key_fingerprint(key) != recorded_new or store.fingerprint == recorded_new:
        return False
    _swap_files(path, old_fingerprint=store.fingerprint)
    store.use_key(key)
    log.warning("密钥轮换在记入日志后中断：已启用新签名密钥 %s", recorded_new)
    return True
