"""The campaign's mutations of rows: every column of every table changed (to another
valid value, or malformed), rows deleted, inserted and swapped. Each is one change to a
fresh copy of the store with the objects ``liuhen verify`` must name for it; the same
``rng`` seed gives the same list."""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import Any

from liuhen.store import tables as t
from tests.integrity import tamper
from tests.integrity.tamper import Apply, Mutation
from tests.integrity.world import World

LEDGER = ("ledger_events", "checkpoints", "ledger_head")


def _name(table: str, row: dict[str, Any]) -> str:
    if table == "ledger_events":
        return f"ledger_events#{row['seq']}"
    if table == "checkpoints":
        return f"checkpoints@{row['tree_size']}"
    if table == "ledger_head":
        return "ledger_head/1"
    return f"{table}/{row[t.primary_key_name(table)]}"


def _key(table: str) -> str:
    return {"ledger_events": "seq", "checkpoints": "tree_size"}.get(
        table, t.primary_key_name(table)
    )


def _set(table: str, row: dict[str, Any], column: str, value: Any) -> Apply:
    key = _key(table)

    def apply(data: Path, witness: Path) -> None:
        with tamper.intruder(data, table) as conn:
            conn.execute(
                f"UPDATE {table} SET {column} = ? WHERE {key} = ?",  # noqa: S608
                (value, row[key]),
            )

    return apply


def cells(world: World, rng: random.Random, *, valid: bool) -> list[Mutation]:
    """Every column of every tracked and ledger table with rows, on a random row: changed to
    another valid value (``valid``) or to each malformed form of its kind."""
    out = []
    for table in (*t.TRACKED, *LEDGER):
        stored = tamper.rows(world.data, table)
        if not stored:
            continue
        for column in t.metadata.tables[table].columns.keys():
            row = rng.choice(stored)
            kind = tamper.kind_of(table, column)
            name = _name(table, row)
            if valid:
                value = tamper.changed(kind, row[column])
                if column == _key(table) and kind == "int":
                    value = int(row[column]) + 100000  # a key no other row has
                label = f"{table}.{column} = {str(value)[:30]!r}"
                out.append(Mutation("cell", label, _set(table, row, column, value), (name,)))
                continue
            for form in tamper.MALFORMED[kind] if (table, column) != ("ledger_head", "id") else ():
                value = tamper.malformed(kind, form, row[column])
                expect = name if column == _key(table) else f"{name}.{column}"
                out.append(
                    Mutation(
                        "malformed",
                        f"{table}.{column} {form}",
                        _set(table, row, column, value),
                        (expect,),
                    )
                )
    return out


def deletes(world: World, rng: random.Random) -> list[Mutation]:
    out = []
    for table in (*t.TRACKED, "ledger_events", "checkpoints", "ledger_head"):
        for row in tamper.rows(world.data, table):
            key = _key(table) if table != "ledger_head" else "id"

            def apply(data: Path, witness: Path, table: str = table, value: Any = row[key], key: str = key) -> None:  # fmt: skip
                with tamper.intruder(data, table) as conn:
                    conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (value,))  # noqa: S608

            out.append(Mutation("delete", f"{_name(table, row)}", apply, (_name(table, row),)))
    return out


def inserts(world: World, rng: random.Random) -> list[Mutation]:
    """A copy of a random row of each tracked table under a new key (unique columns changed),
    and a forged event appended with a correct chain (but no signature)."""
    out = []
    for table in t.TRACKED:
        stored = tamper.rows(world.data, table)
        if not stored:
            continue
        row = dict(rng.choice(stored))
        pk = t.primary_key_name(table)
        row[pk] = uuid.UUID(int=rng.getrandbits(128)).hex + ("0" * 32 if table == "blobs" else "")
        for column in ("username", "certificate_no", "serial_no", "number", "token_hash", "name"):
            if column in row and row[column] is not None:
                row[column] = f"{row[column]}-{rng.randrange(10**6)}"
        if table == "record_files":
            row["position"] = int(row["position"]) + 1000

        def apply(data: Path, witness: Path, table: str = table, row: dict[str, Any] = row) -> None:
            with tamper.intruder(data, table) as conn:
                names = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608

        out.append(Mutation("insert", _name(table, row), apply, (_name(table, row),)))
    out.append(_forged_event(world))
    return out


def _forged_event(world: World) -> Mutation:
    from liuhen.ledger.canonical import digest
    from liuhen.ledger.chain import chain_hash
    from liuhen.ledger.events import event_bytes
    from liuhen.ledger.merkle import leaf_hash

    events = tamper.rows(world.data, "ledger_events")
    last = max(events, key=lambda e: e["seq"])
    seq = last["seq"] + 1
    payload: dict[str, Any] = {"note": "伪造"}
    event = {
        "seq": seq,
        "occurred_at": "2026-11-21T01:00:00+00:00",
        "actor_id": None,
        "actor_label": "伪造者",
        "action": "case.viewed",
        "subject_type": "store",
        "subject_id": "all",
        "case_id": None,
        "payload_digest": digest(payload),
        "prev_hash": last["chain_hash"],
    }
    raw = event_bytes(event)
    link = chain_hash(bytes.fromhex(last["chain_hash"]), raw).hex()
    values = (
        seq, "2026-11-21 01:00:00.000000", None, "伪造者", "case.viewed", "store", "all", None,
        '{"note":"伪造"}', event["payload_digest"], last["chain_hash"], link, leaf_hash(raw).hex(),
    )  # fmt: skip

    def apply(data: Path, witness: Path) -> None:
        with tamper.intruder(data, "ledger_events", "ledger_head") as conn:
            conn.execute(
                f"INSERT INTO ledger_events VALUES ({', '.join('?' * len(values))})", values
            )  # noqa: S608
            conn.execute("UPDATE ledger_head SET next_seq = ?, chain_hash = ?", (seq + 1, link))

    return Mutation(
        "insert", f"ledger_events#{seq} (forged, chained)", apply, (f"ledger_events#{seq}",)
    )


def swaps(world: World, rng: random.Random) -> list[Mutation]:
    """Two random rows of each table with two or more: their contents swapped, keys kept."""
    out = []
    for table in (*t.TRACKED, "ledger_events", "checkpoints"):
        stored = tamper.rows(world.data, table)
        if len(stored) < 2:
            continue
        key = _key(table)
        a, b = rng.sample(stored, 2)
        for _ in range(20):  # two rows that differ beyond their keys (else a swap is no change)
            if {**a, key: None} != {**b, key: None}:
                break
            a, b = rng.sample(stored, 2)

        def apply(data: Path, witness: Path, table: str = table, a: dict[str, Any] = a, b: dict[str, Any] = b, key: str = key) -> None:  # fmt: skip
            with tamper.intruder(data, table) as conn:
                conn.execute(f"DELETE FROM {table} WHERE {key} IN (?, ?)", (a[key], b[key]))  # noqa: S608
                for row, other in ((a, b), (b, a)):
                    swapped = {**other, key: row[key]}
                    names = ", ".join(swapped)
                    marks = ", ".join("?" for _ in swapped)
                    conn.execute(
                        f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(swapped.values())
                    )  # noqa: S608

        first = min((a, b), key=lambda r: r[key])
        out.append(
            Mutation(
                "swap", f"{_name(table, a)} <-> {_name(table, b)}", apply, (_name(table, first),)
            )
        )
    return out
