"""The campaign's mutations beyond single rows: blob bytes flipped or deleted, the ledger's
tail cut (with and without the head adjusted, with and without the signed checkpoints after
it), the checkpoint log cut at every line or deleted, the witness file cut or deleted, the
database rolled back to an earlier copy, the key replaced with all history signed again,
and the derived caches edited. Each names what ``liuhen verify`` must report."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

from liuhen.ledger.tiles import INNER_BYTES
from tests.integrity import tamper
from tests.integrity.forge import resign
from tests.integrity.tamper import Mutation
from tests.integrity.world import World


def _blob_path(data: Path, sha: str) -> Path:
    return data / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha


def _holders(world: World, sha: str) -> tuple[str, ...]:
    files = tamper.rows(world.data, "record_files")
    return tuple(sorted({f"records/{f['record_id']}" for f in files if f["blob_sha256"] == sha}))


def blobs(world: World, rng: random.Random, flips: int = 8) -> list[Mutation]:
    """Each blob: ``flips`` single bytes flipped at random positions, and deleted; the blob
    and every record that holds it must be named."""
    out = []
    for blob in tamper.rows(world.data, "blobs"):
        sha, size = blob["sha256"], int(blob["size"])
        expect = (f"blob {sha}", *_holders(world, sha))
        for _ in range(flips):
            at, bit = rng.randrange(size), 1 << rng.randrange(8)

            def flip(
                data: Path, witness: Path, sha: str = sha, at: int = at, bit: int = bit
            ) -> None:
                path = _blob_path(data, sha)
                os.chmod(path, 0o644)
                content = bytearray(path.read_bytes())
                content[at] ^= bit
                path.write_bytes(bytes(content))

            out.append(Mutation("blob", f"{sha[:12]} byte {at} ^ {bit}", flip, expect))

        def delete(data: Path, witness: Path, sha: str = sha) -> None:
            _blob_path(data, sha).unlink()

        out.append(Mutation("blob", f"{sha[:12]} deleted", delete, expect))
    return out


def tails(world: World, rng: random.Random) -> list[Mutation]:
    """The newest ``k`` events deleted, for every ``k``: alone, with the head set back to
    the new last event, and with the signed checkpoints beyond it deleted too."""
    events = sorted(tamper.rows(world.data, "ledger_events"), key=lambda e: e["seq"])
    out = []
    for keep in range(1, len(events)):
        for how in ("events", "head", "head+checkpoints"):

            def cut(data: Path, witness: Path, keep: int = keep, how: str = how) -> None:
                last = events[keep - 1]
                with tamper.intruder(data, "ledger_events", "ledger_head", "checkpoints") as conn:
                    conn.execute("DELETE FROM ledger_events WHERE seq >= ?", (keep,))
                    if how != "events":
                        conn.execute(
                            "UPDATE ledger_head SET next_seq = ?, chain_hash = ?",
                            (keep, last["chain_hash"]),
                        )
                    if how == "head+checkpoints":
                        conn.execute("DELETE FROM checkpoints WHERE tree_size > ?", (keep,))

            label = f"{len(events) - keep} cut, {how}"
            out.append(Mutation(f"tail:{how}", label, cut, (f"ledger_events#{keep}",)))
    return out


def outside_copies(world: World, rng: random.Random) -> list[Mutation]:
    """The data directory's checkpoint log and the witness file: cut at every line boundary
    (keeping 0 … n-1 lines) and deleted; each must be named."""
    out = []
    for cls, path in (
        ("log", world.data / "checkpoints.jsonl"),
        ("witness", world.witness / "checkpoints.jsonl"),
    ):
        relative = path.relative_to(world.root)
        for keep in range(tamper.line_count(path)):

            def cut(data: Path, witness: Path, relative: Path = relative, keep: int = keep) -> None:
                tamper.cut_lines(data.parent / relative, keep)

            out.append(Mutation(cls, f"{relative} cut to {keep} lines", cut, (str(relative),)))

        def delete(data: Path, witness: Path, relative: Path = relative) -> None:
            (data.parent / relative).unlink()

        out.append(Mutation(cls, f"{relative} deleted", delete, (str(relative),)))
    return out


def rollbacks(world: World, rng: random.Random) -> list[Mutation]:
    """The whole database replaced by each earlier copy of it."""
    final = max(world.snapshots)
    out = []
    for size, snapshot in sorted(world.snapshots.items()):
        if size == final:
            continue

        def roll(data: Path, witness: Path, snapshot: Path = snapshot) -> None:
            db = tamper.database(data)
            for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                extra.unlink(missing_ok=True)
            shutil.copyfile(snapshot, db)

        out.append(
            Mutation(
                "rollback", f"database back to {size} events", roll, (f"ledger_events#{size}",)
            )
        )
    return out


def resigned(world: World, rng: random.Random) -> list[Mutation]:
    """A record edited, the chain rebuilt and every checkpoint signed again with a fresh key,
    the key file replaced: with event #0 kept, and rewritten too (then only the pin and the
    witness catch it). The campaign's copies have the fingerprint pinned."""
    record = rng.choice(tamper.rows(world.data, "records"))["id"]
    out = []
    for genesis in (False, True):
        for edit in (None, record):

            def forge(data: Path, witness: Path, genesis: bool = genesis, edit: Any = edit) -> None:
                resign(data, genesis=genesis, record=edit)

            label = ("event #0 rewritten" if genesis else "event #0 kept") + (
                ", record edited" if edit else ""
            )
            out.append(Mutation("resign", label, forge, ("data/keys/ledger-ed25519.pem",)))
    return out


WITNESS = "witness:county.test/witness"


def resigned_witnessed(world: World, rng: random.Random) -> list[Mutation]:
    """The same rewrite, with no fingerprint pinned: only the county's HTTP witness (which
    pinned the key and cosigned the old tree) knows better; signed under the origin the
    witness knows, or under a new one, event #0 kept or rewritten, a record edited or not.
    The attacker also deletes the cosignatures kept in the data directory."""
    record = rng.choice(tamper.rows(world.data, "records"))["id"]
    out = []
    for genesis, keep_origin, edit in (
        (False, True, None),
        (False, True, record),
        (True, True, record),
        (True, False, record),
    ):

        def forge(
            data: Path, witness: Path, g: bool = genesis, k: bool = keep_origin, e: Any = edit
        ) -> None:
            resign(data, genesis=g, record=e, keep_origin=k)

        label = (
            ("event #0 rewritten" if genesis else "event #0 kept")
            + (", old origin" if keep_origin else ", new origin")
            + (", record edited" if edit else "")
        )
        out.append(Mutation("resign:witness", label, forge, (WITNESS,), pinned=False))
    return out


def caches(world: World, rng: random.Random) -> list[Mutation]:
    """A case's summary made to show fewer problems, and the other derived tables edited."""
    staffed = {r["case_id"] for r in tamper.rows(world.data, "summary_officers")}
    summaries = [
        s
        for s in tamper.rows(world.data, "case_summaries")
        if s["findings"] and s["case_id"] in staffed
    ]
    case = rng.choice(summaries)
    case_id = case["case_id"]
    group = "|".join(case[k] for k in ("agency_id", "section", "month", "stage", "procedure"))
    edits = {
        "violations": ("UPDATE case_summaries SET violations = violations + 1 WHERE case_id = ?", f"case_summaries/{case_id}.violations"),
        "findings": ("UPDATE case_summaries SET findings = 0, violations = 0 WHERE case_id = ?", f"case_summaries/{case_id}.findings"),
        "summary": ("UPDATE case_summary_bodies SET summary = json_set(summary, '$.findings', json('[]')) WHERE case_id = ?", f"case_summaries/{case_id}"),
        "consistent": (("UPDATE case_summary_bodies SET summary = json_set(summary, '$.findings', json('[]')) WHERE case_id = ?", "UPDATE case_summaries SET findings = 0, violations = 0, pending_dues = '[]', first_pending_due = NULL, last_pending_due = NULL, pending_undated = 0 WHERE case_id = ?"), f"case_summaries/{case_id}"),
        "body": ("DELETE FROM case_summary_bodies WHERE case_id = ?", f"case_summaries/{case_id}.summary"),
        "officers": ("DELETE FROM summary_officers WHERE case_id = ?", f"summary_officers/{case_id}"),
        "officer copies": ("UPDATE summary_officers SET c_overdue = c_overdue + 1 WHERE case_id = ?", f"summary_officers/{case_id}"),
        "changes": ("UPDATE case_changes SET seq = seq - 1 WHERE case_id = ?", f"case_changes/{case_id}"),
        "counts": ("UPDATE dashboard_counts SET violations = violations + 1 WHERE agency_id = (SELECT agency_id FROM case_summaries WHERE case_id = ?)", f"dashboard_counts/{group}|.violations"),
    }  # fmt: skip
    out = []
    for label, (sql, expect) in edits.items():

        def edit(data: Path, witness: Path, sql: str | tuple[str, ...] = sql) -> None:
            with tamper.intruder(data, "case_summaries") as conn:
                for statement in (sql,) if isinstance(sql, str) else sql:
                    conn.execute(statement, (case_id,))

        out.append(Mutation("cache", f"{label} of {case_id[:8]}", edit, (expect,)))
    return out


def tiles(world: World, rng: random.Random) -> list[Mutation]:
    """The stored Merkle tree: a bit flipped in each entry of each tile, a tile cut short,
    garbage appended past the events, a tile deleted; a full tile's inner nodes with a bit
    flipped at each of their heights or cut short, inner nodes beside a partial tile.
    Proofs are served from these."""
    rows = tamper.rows(world.data, "ledger_tiles")
    stored = {(r["level"], r["idx"]): bytes(r["hashes"]) for r in rows}
    out = _inner_nodes(rows, rng)
    for (level, index), hashes in sorted(stored.items()):
        name = f"ledger_tiles#{level}/{index}"
        entries = len(hashes) // 32
        edits: dict[str, bytes | None] = {
            f"flip entry {i}": _flipped(hashes, i * 32 + rng.randrange(32)) for i in range(entries)
        }
        edits.update({f"cut {k}": hashes[: -32 * k] for k in range(1, entries + 1)})
        if entries < 256:
            edits["extended"] = hashes + rng.randbytes(32)
        edits["deleted"] = None
        for label, value in edits.items():

            def edit(
                data: Path,
                witness: Path,
                key: tuple[int, int] = (level, index),
                value: bytes | None = value,
            ) -> None:
                with tamper.intruder(data, "ledger_tiles") as conn:
                    if value is None:
                        conn.execute("DELETE FROM ledger_tiles WHERE level = ? AND idx = ?", key)
                    else:
                        conn.execute(
                            "UPDATE ledger_tiles SET hashes = ? WHERE level = ? AND idx = ?",
                            (value, *key),
                        )

            out.append(Mutation("tile", f"{label} of {name}", edit, (name,)))
    return out


def _inner_nodes(rows: list[dict[str, Any]], rng: random.Random) -> list[Mutation]:
    out = []
    for row in rows:
        key, inner = (row["level"], row["idx"]), row["inner_nodes"]
        name = f"ledger_tiles#{key[0]}/{key[1]}"
        if inner is None:
            edits = {"inner nodes beside a partial tile": rng.randbytes(INNER_BYTES)}
        else:
            starts = [0, 16, 24, 28, 30]  # heights 4, 5, 6 and 7, in hashes
            edits = {
                f"flip inner node at height {4 + h}": _flipped(
                    bytes(inner), rng.randrange(starts[h] * 32, starts[h + 1] * 32)
                )
                for h in range(4)
            }
            edits["cut inner nodes"] = bytes(inner)[:-32]
        for label, value in edits.items():

            def edit(
                data: Path, witness: Path, key: tuple[int, int] = key, value: bytes = value
            ) -> None:
                with tamper.intruder(data, "ledger_tiles") as conn:
                    conn.execute(
                        "UPDATE ledger_tiles SET inner_nodes = ? WHERE level = ? AND idx = ?",
                        (value, *key),
                    )

            out.append(Mutation("tile", f"{label} of {name}", edit, (name,)))
    return out


def _flipped(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 1 << (at % 8)
    return bytes(out)
