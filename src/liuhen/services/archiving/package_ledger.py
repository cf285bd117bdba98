"""The ledger in an archive package (``export_package``).

``write_excerpt`` writes ``data/ledger/``: the case's events as stored, each with its
inclusion proof against the latest signed checkpoint, that checkpoint and the public key.
``export_record`` is the package's last file (``archive.export_record``): once every other
file is written, the ``case.exported`` event that lists them all is appended, and the
record proves it against the checkpoint its transaction signed, consistent with the
excerpt's. Proofs come from the stored tiles (``ledger/tiles``: a few of them, whatever the
size of the ledger); both check that the tiles give the signed root and hold each event's
recomputed leaf first, and refuse to export from a damaged ledger.
"""

from __future__ import annotations

import json
from pathlib import Path

from liuhen.archive.export_record import event_record, record_bytes
from liuhen.archive.package import PackageWriter, json_bytes
from liuhen.config import Settings
from liuhen.errors import StorageError
from liuhen.ledger.checkpoint import Checkpoint, checkpoint_to_dict, public_key_pem
from liuhen.ledger.merkle import MerkleHashes, leaf_hash
from liuhen.ledger.note import checkpoint_note
from liuhen.services.archiving.queries.packages import LedgerExcerpt, ledger_excerpt
from liuhen.store.store import Store
from liuhen.store.witnesses import cosigned as cosigned_file


def export_journal_dir(settings: Settings) -> Path:
    """Where exports under way are journalled (``archive.export_journal``)."""
    return settings.data_dir / "exports-pending"


def _signed_tree(
    store: Store, excerpt: LedgerExcerpt, old_size: int | None = None
) -> tuple[Checkpoint, MerkleHashes]:
    """The excerpt's checkpoint and its tree, read from the stored tiles, which must give its
    root and the leaves and proofs of the excerpt's events (and, with ``old_size``, the root
    of that older tree and the proof of consistency with it)."""
    row = excerpt.checkpoint
    size = int(row["tree_size"])
    cp = Checkpoint(size, bytes.fromhex(row["root_hash"]), row["signed_at"], row["origin"])
    seqs = [int(e["seq"]) for e in excerpt.events]

    def question(tree: MerkleHashes) -> None:
        tree.root()
        for seq in seqs:
            tree.leaf(seq)
            tree.inclusion_proof(seq, size)
        if old_size is not None:
            tree.root(old_size)
            tree.consistency_proof(old_size, size)

    try:
        tree = store.tree_for(size, question)
        question(tree)  # every tile it needs is read here: one missing or short fails now
        agrees = tree.root() == cp.root_hash
    except (KeyError, ValueError):
        agrees = False
    if not agrees:
        raise StorageError("全过程日志与已签名的检查点不符：未导出。请运行 liuhen verify 核查")
    return cp, tree


def _checked_record(tree: MerkleHashes, event: dict[str, object]) -> dict[str, object]:
    record = event_record(event)
    seq = int(str(record["seq"]))
    if leaf_hash(str(record["event_bytes"]).encode("utf-8")) != tree.leaf(seq):
        raise StorageError(f"日志事件 #{seq} 已被改动：未导出。请运行 liuhen verify")
    return record


def write_excerpt(store: Store, pkg: PackageWriter, case_id: str) -> Checkpoint:
    """The case's events under the latest checkpoint, their proofs, the checkpoint and the
    public key, into ``data/ledger/``; return that checkpoint."""
    excerpt = ledger_excerpt(store, case_id)
    cp, tree = _signed_tree(store, excerpt)
    lines, proofs = [], []
    for event in excerpt.events:
        record = _checked_record(tree, event)
        seq = int(event["seq"])
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        proofs.append(
            {
                "seq": seq,
                "leaf_hash": record["leaf_hash"],
                "path": [h.hex() for h in tree.inclusion_proof(seq, cp.tree_size)],
            }
        )
    pkg.add_bytes("ledger/events.jsonl", "".join(lines).encode("utf-8"))
    pkg.add_bytes(
        "ledger/proofs.json",
        json_bytes({"tree_size": cp.tree_size, "root_hash": cp.root_hash.hex(), "proofs": proofs}),
    )
    row = excerpt.checkpoint
    pkg.add_json(
        "ledger/checkpoint.json",
        checkpoint_to_dict(cp, bytes(row["signature"]), row["key_fingerprint"]),
    )
    store.adopt_key(row["key_fingerprint"], need=False)  # rotated by another process
    pkg.add_bytes("ledger/public-key.pem", public_key_pem(store.key))
    cosigned = cosignatures(store, cp, bytes(row["signature"]))
    if cosigned is not None:
        pkg.add_json("ledger/cosignatures.json", cosigned)
    return cp


def cosignatures(store: Store, cp: Checkpoint, signature: bytes) -> dict[str, object] | None:
    """The checkpoint as a signed note with every cosignature the store's HTTP witnesses
    gave it, and their keys (``archive.verify_witnesses``); None without such witnesses."""
    witnesses = [s for s in store.witnesses.specs() if s.kind == "http" and s.vkey]
    if not witnesses:
        return None
    note = checkpoint_note(cp, signature, store.key.public_key())
    for spec in witnesses:
        kept = cosigned_file.at_size(store.witnesses.cosigned_path(spec), cp.tree_size)
        if kept is not None and kept.text == note.text:
            note = note.with_signatures([s for s in kept.signatures if s.name == spec.name])
    return {
        "note": note.render(),
        "witnesses": [{"name": s.name, "vkey": s.vkey} for s in witnesses],
    }


def export_record(
    store: Store, case_id: str, seq: int, excerpt: Checkpoint
) -> tuple[bytes, Checkpoint]:
    """The export record of event ``seq`` (``archive.export_record``) and the checkpoint it
    is proven against, consistent with the ``excerpt`` checkpoint of ``data/ledger/``."""
    found = ledger_excerpt(store, case_id, seq)
    cp, tree = _signed_tree(store, found, excerpt.tree_size)
    event = next((e for e in found.events if int(e["seq"]) == seq), None)
    if event is None or tree.root(excerpt.tree_size) != excerpt.root_hash:
        raise StorageError("导出事件不在已签名的日志中，或日志已分叉：未导出。请运行 liuhen verify")
    record = _checked_record(tree, event)
    row = found.checkpoint
    data = record_bytes(
        record,
        tree.inclusion_proof(seq, cp.tree_size),
        checkpoint_to_dict(cp, bytes(row["signature"]), row["key_fingerprint"]),
        tree.consistency_proof(excerpt.tree_size, cp.tree_size),
    )
    return data, cp
