"""The campaign's mutations of docking-station tokens (issue 13): a token row inserted by
someone with database access (alone, and with a forged ``station.added`` event chained
after the last one and carrying the row's digest), and a stored token edited: a revoked
token brought back, a token moved to another account, the attacker's own token hash put on
a station. ``liuhen verify`` must name the row (or the forged event)."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from tests.integrity import tamper
from tests.integrity.tamper import Mutation
from tests.integrity.world import World

ATTACKER_TOKEN = "lhs_" + "attacker" * 6


def tokens(world: World, rng: random.Random) -> list[Mutation]:
    stations = tamper.rows(world.data, "stations")
    revoked = next(s for s in stations if s["revoked_at"] is not None)
    live = next(s for s in stations if s["revoked_at"] is None)
    admin = next(u for u in tamper.rows(world.data, "users") if u["username"] == "admin")
    forged = {
        **live,
        "id": "f" * 32,
        "name": "伪造采集站",
        "token_hash": hashlib.sha256(ATTACKER_TOKEN.encode()).hexdigest(),
    }
    edits = (
        ("revoked token brought back", revoked, "revoked_at", None),
        ("token moved to the admin", live, "user_id", admin["id"]),
        ("attacker's token hash", live, "token_hash", forged["token_hash"]),
    )
    out = [
        Mutation(
            "token", "stations: inserted token row", _insert(forged), ("stations/" + "f" * 32,)
        )
    ]
    out.append(_insert_with_event(world, forged))
    for label, row, column, value in edits:
        out.append(
            Mutation(
                "token",
                f"stations: {label}",
                _set(row["id"], column, value),
                (f"stations/{row['id']}",),
            )
        )
    return out


def _insert(row: dict[str, Any]) -> tamper.Apply:
    def apply(data: Path, witness: Path) -> None:
        with tamper.intruder(data, "stations") as conn:
            names, marks = ", ".join(row), ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO stations ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608

    return apply


def _set(key: str, column: str, value: Any) -> tamper.Apply:
    def apply(data: Path, witness: Path) -> None:
        with tamper.intruder(data, "stations") as conn:
            conn.execute(f"UPDATE stations SET {column} = ? WHERE id = ?", (value, key))  # noqa: S608

    return apply


def _insert_with_event(world: World, row: dict[str, Any]) -> Mutation:
    """The row and a ``station.added`` event for it, chained after the last event with the
    row's digest in its payload (what the API compares): only the signatures are missing."""
    from liuhen.ledger.canonical import canonical_json, digest
    from liuhen.ledger.chain import chain_hash
    from liuhen.ledger.events import event_bytes
    from liuhen.ledger.merkle import leaf_hash
    from liuhen.store.rows import row_digest

    stored = tamper.rows(world.data, "stations")[0]
    typed = {**row, "created_at": stored["created_at"], "revoked_at": None}
    events = tamper.rows(world.data, "ledger_events")
    last = max(events, key=lambda e: e["seq"])
    seq = last["seq"] + 1
    payload = {
        "name": row["name"],
        "rows": [{"table": "stations", "key": row["id"], "digest": _digest(row_digest, typed)}],
    }
    event = {
        "seq": seq,
        "occurred_at": "2026-11-21T01:00:00+00:00",
        "actor_id": None,
        "actor_label": "伪造者",
        "action": "station.added",
        "subject_type": "station",
        "subject_id": row["id"],
        "case_id": None,
        "payload_digest": digest(payload),
        "prev_hash": last["chain_hash"],
    }
    raw = event_bytes(event)
    link = chain_hash(bytes.fromhex(last["chain_hash"]), raw).hex()
    values = (
        seq, "2026-11-21 01:00:00.000000", None, "伪造者", "station.added", "station", row["id"],
        None, canonical_json(payload).decode(), event["payload_digest"], last["chain_hash"], link,
        leaf_hash(raw).hex(),
    )  # fmt: skip
    insert_row = _insert(row)

    def apply(data: Path, witness: Path) -> None:
        insert_row(data, witness)
        with tamper.intruder(data, "ledger_events", "ledger_head") as conn:
            marks = ", ".join("?" * len(values))
            conn.execute(f"INSERT INTO ledger_events VALUES ({marks})", values)  # noqa: S608
            conn.execute("UPDATE ledger_head SET next_seq = ?, chain_hash = ?", (seq + 1, link))

    return Mutation(
        "token",
        f"stations: inserted token row with a forged event #{seq}",
        apply,
        (f"ledger_events#{seq}",),
    )


def _digest(row_digest: Any, row: dict[str, Any]) -> str:
    """The digest LiuHen would record for ``row`` (times as the store reads them back)."""
    from datetime import UTC, datetime

    typed = dict(row)
    for column in ("created_at", "revoked_at"):
        if isinstance(typed[column], str):
            typed[column] = datetime.strptime(typed[column], tamper.STORED_TIME).replace(tzinfo=UTC)
    return str(row_digest("stations", typed))
