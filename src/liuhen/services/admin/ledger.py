"""Checkpoints on demand and inclusion proofs for single events."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.errors import NotFound
from liuhen.ledger.checkpoint import Checkpoint, checkpoint_to_dict, public_key_pem
from liuhen.ledger.events import Actor, event_bytes
from liuhen.ledger.merkle import leaf_hash, verify_inclusion
from liuhen.ledger.tiles import tiles_for
from liuhen.services.admin.queries.proofs import proof_inputs
from liuhen.services.permissions import require, require_case
from liuhen.store.store import Store


def checkpoint_now(store: Store, actor: Actor) -> dict[str, Any]:
    """Append a ``ledger.checkpointed`` event; its transaction signs the new tree."""
    require(actor, "ledger.checkpoint")
    with store.transaction(actor) as tx:
        tx.record("ledger.checkpointed", subject_type="ledger", subject_id="checkpoint")
        tx.sign()
    latest = store.latest_checkpoint()
    assert latest is not None
    return _checkpoint_dict(latest)


def _checkpoint_dict(row: dict[str, Any]) -> dict[str, Any]:
    cp = Checkpoint(
        tree_size=int(row["tree_size"]),
        root_hash=bytes.fromhex(row["root_hash"]),
        timestamp=row["signed_at"],
        origin=row["origin"],
    )
    return checkpoint_to_dict(cp, bytes(row["signature"]), row["key_fingerprint"])


def inclusion_proof(store: Store, actor: Actor, seq: int) -> dict[str, Any]:
    """Proof that event ``seq`` is in the tree of the latest signed checkpoint: its leaf
    recomputed from the event as stored, its path read from the stored tiles (a few,
    whatever the size of the ledger), checked against the signed root (``verified``)."""
    require(actor, "ledger.read")
    latest, event, proof = proof_inputs(store, seq)
    if latest is None or event is None or proof is None:
        raise NotFound(f"EVENT: 事件 #{seq} 不存在或尚未被检查点覆盖")
    if event["case_id"]:
        require_case(store, actor, "ledger.read", event["case_id"])
    size, raw, leaf, verified = _checked(latest, event, seq, proof)
    if not verified:
        # A full tile's stored inner nodes are a copy of what its entries give: the path
        # once more from the entries alone, so damaged copies cannot deny a proof (verify
        # names them). Nothing is kept from a path that failed: read afresh next time.
        store.tile_cache.discard(tiles_for(size, lambda t: t.inclusion_proof(seq, size)))
        newest, stored, path = proof_inputs(store, seq, stored_inner=False)
        if newest is not None and stored is not None and path is not None:
            latest, event, proof = newest, stored, path
            size, raw, leaf, verified = _checked(latest, event, seq, proof)
            if not verified:
                store.tile_cache.discard(tiles_for(size, lambda t: t.inclusion_proof(seq, size)))
    store.adopt_key(latest["key_fingerprint"], need=False)  # rotated by another process
    return {
        "seq": seq,
        "event": {
            "action": event["action"],
            "occurred_at": event["occurred_at"].isoformat(),
            "actor_label": event["actor_label"],
            "subject_type": event["subject_type"],
            "subject_id": event["subject_id"],
        },
        "event_bytes": raw.decode("utf-8"),
        "leaf_hash": leaf.hex(),
        "proof": [h.hex() for h in proof],
        "checkpoint": _checkpoint_dict(latest),
        "public_key_pem": _pem(store.key),
        "verified": verified,
    }


def _checked(
    latest: dict[str, Any], event: dict[str, Any], seq: int, proof: list[bytes]
) -> tuple[int, bytes, bytes, bool]:
    """The tree's size, the event's bytes and leaf recomputed, and whether ``proof`` takes
    that leaf to the checkpoint's signed root."""
    size = int(latest["tree_size"])
    raw = event_bytes(event)
    leaf = leaf_hash(raw)
    root = bytes.fromhex(latest["root_hash"])
    return size, raw, leaf, verify_inclusion(leaf, seq, size, proof, root)


@lru_cache(maxsize=8)
def _pem(key: Ed25519PrivateKey) -> str:
    """The signing key's public half as PEM, made once per key (each proof carries it)."""
    return public_key_pem(key).decode("ascii")
