"""The strongest attacker with file access: edit a record, rebuild the whole chain, replace
the signing key and sign every checkpoint again — in the database and in the data
directory's checkpoint log — so that everything inside the data directory agrees. Only
what the attacker cannot write catches it: the pinned fingerprint, a witness, or (unless it
was rewritten too) ledger event #0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, update

from liuhen.ledger.canonical import digest
from liuhen.ledger.chain import GENESIS, chain_hash
from liuhen.ledger.checkpoint import (
    Checkpoint,
    generate_key,
    key_fingerprint,
    private_key_pem,
    sign_checkpoint,
)
from liuhen.ledger.events import event_bytes
from liuhen.ledger.merkle import MerkleTree, leaf_hash
from liuhen.ledger.tiles import extend
from liuhen.store import tables as t
from liuhen.store.rows import row_digest
from liuhen.store.tile_rows import write_tiles
from tests.integrity.tamper import database


def resign(
    data: Path,
    *,
    genesis: bool,
    record: str | None,
    keep_origin: bool = False,
    database_url: str | None = None,
) -> str:
    """Rewrite the copy in ``data`` with a fresh key; return the new fingerprint.

    ``genesis``: also rewrite event #0's recorded fingerprint. ``record``: first change that
    record's title and the digest its event recorded. ``keep_origin``: sign under the log's
    old origin (what a witness knows it by) instead of one named by the new key; the
    cosignatures kept in ``witnesses/`` are deleted either way (the attacker can).
    ``database_url``: the store's database when it is not the copy's SQLite file."""
    key = generate_key()
    fingerprint = key_fingerprint(key)
    origin = None
    engine = create_engine(database_url or f"sqlite:///{database(data)}")
    if keep_origin:
        with engine.connect() as conn:
            origin = conn.execute(select(t.checkpoints.c.origin).limit(1)).scalar_one()
    try:
        with engine.begin() as conn:
            guards = _drop_guards(conn)
            if record is not None:
                _edit_record(conn, record)
            tree = _rebuild_chain(conn, fingerprint if genesis else None)
            _resign_checkpoints(conn, tree, key, fingerprint, origin)
            for sql in guards:
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()
    _rewrite_log(data / "checkpoints.jsonl", tree, key, origin or _origin(fingerprint))
    (data / "keys" / "ledger-ed25519.pem").write_bytes(private_key_pem(key))
    for kept in (data / "witnesses").glob("*.jsonl"):
        kept.unlink()
    return fingerprint


def _origin(fingerprint: str) -> str:
    return f"liuhen/{fingerprint.removeprefix('SHA256:')[:16]}"


def _drop_guards(conn: Any) -> list[str]:
    """Drop the insert-only triggers; return their definitions to put back."""
    if conn.dialect.name == "postgresql":
        tables = ("ledger_events", "ledger_head", "checkpoints", "records")
        for table in tables:
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        return [f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in tables]
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND (name LIKE '%_no_update' OR name LIKE '%_no_delete')"
    ).all()
    for name, _sql in found:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    return [sql for _name, sql in found]


def _edit_record(conn: Any, record: str) -> None:
    row = dict(conn.execute(select(t.records).where(t.records.c.id == record)).mappings().one())
    old = row_digest("records", row)
    row["title"] = row["title"] + "（改）"
    conn.execute(update(t.records).where(t.records.c.id == record).values(title=row["title"]))
    new = row_digest("records", row)
    for ev in conn.execute(select(t.ledger_events)).mappings().all():
        payload = ev["payload"]
        entries = payload.get("rows", []) if isinstance(payload, dict) else []
        if any(r.get("digest") == old for r in entries):
            for r in entries:
                if r.get("digest") == old:
                    r["digest"] = new
            conn.execute(
                update(t.ledger_events)
                .where(t.ledger_events.c.seq == ev["seq"])
                .values(payload=payload)
            )


def _rebuild_chain(conn: Any, genesis_fingerprint: str | None) -> MerkleTree:
    tree = MerkleTree([])
    prev = GENESIS
    events = conn.execute(select(t.ledger_events).order_by(t.ledger_events.c.seq)).mappings()
    for ev in [dict(e) for e in events]:
        payload = ev["payload"]
        if ev["seq"] == 0 and genesis_fingerprint is not None:
            payload = {**payload, "key_fingerprint": genesis_fingerprint}
        ev.update(payload=payload, payload_digest=digest(payload), prev_hash=prev.hex())
        raw = event_bytes(ev)
        link = chain_hash(prev, raw)
        conn.execute(
            update(t.ledger_events)
            .where(t.ledger_events.c.seq == ev["seq"])
            .values(
                payload=payload,
                payload_digest=ev["payload_digest"],
                prev_hash=prev.hex(),
                chain_hash=link.hex(),
                leaf_hash=leaf_hash(raw).hex(),
            )
        )
        tree.append(leaf_hash(raw))
        prev = link
    conn.execute(update(t.ledger_head).values(chain_hash=prev.hex(), next_seq=tree.size))
    conn.execute(t.ledger_tiles.delete())  # the stored tree, derived: rebuilt to match
    _, tiles = extend(0, {}, (tree.leaf(i) for i in range(tree.size)))
    write_tiles(conn, tiles)
    return tree


def _resign_checkpoints(
    conn: Any, tree: MerkleTree, key: Any, fingerprint: str, origin: str | None
) -> None:
    origin = origin or _origin(fingerprint)
    for row in conn.execute(select(t.checkpoints)).mappings().all():
        cp = Checkpoint(row["tree_size"], tree.root(row["tree_size"]), row["signed_at"], origin)
        conn.execute(
            update(t.checkpoints)
            .where(t.checkpoints.c.tree_size == row["tree_size"])
            .values(
                root_hash=cp.root_hash.hex(),
                origin=origin,
                signature=sign_checkpoint(key, cp),
                key_fingerprint=fingerprint,
            )
        )


def _rewrite_log(path: Path, tree: MerkleTree, key: Any, origin: str) -> None:
    """Every line again, as a signed note by the new key (old JSON lines too)."""
    from liuhen.ledger.note import log_entry, read_log_entry

    out = []
    for line in path.read_text("utf-8").splitlines():
        old, _sig, _fp = read_log_entry(json.loads(line))
        cp = Checkpoint(old.tree_size, tree.root(old.tree_size), old.timestamp, origin)
        entry = log_entry(cp, sign_checkpoint(key, cp), key.public_key())
        out.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
    path.write_text("".join(f"{line}\n" for line in out), "utf-8")
