"""Docking stations as stored: by id, by token hash (with what the ledger recorded of the
row), all of them, a live one's name, and the rows the ledger has no digest of yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from liuhen.store import tables as t
from liuhen.store.store import Store

STATION_EVENTS = ("station.added", "station.revoked", "station.adopted")


def station_row(store: Store, station_id: str) -> dict[str, Any] | None:
    """The stored row of one station."""
    with store.read() as conn:
        row = conn.execute(select(t.stations).where(t.stations.c.id == station_id)).mappings()
        found = row.first()
    return None if found is None else dict(found)


def station_rows(store: Store) -> list[dict[str, Any]]:
    """Every station's row, oldest first."""
    with store.read() as conn:
        rows = conn.execute(select(t.stations).order_by(t.stations.c.created_at)).mappings()
        return [dict(r) for r in rows]


def _latest_event(column: Any) -> Any:
    """The station's newest ledger event's ``column`` (a scalar subquery)."""
    ev = t.ledger_events
    return (
        select(column)
        .where(ev.c.subject_type == "station", ev.c.subject_id == t.stations.c.id)
        .order_by(ev.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Recorded:
    """What the ledger holds about a station: its newest event's seq, payload and payload
    digest, and the size of the newest signed checkpoint."""

    seq: int | None
    payload: Any
    payload_digest: Any
    signed_size: int


def station_by_token_hash(store: Store, token_hash: str) -> tuple[dict[str, Any], Recorded] | None:
    """The row of the station whose token has this SHA-256, with what the ledger recorded
    of it (``Recorded``): one statement."""
    ev = t.ledger_events
    query = select(
        t.stations,
        _latest_event(ev.c.seq).label("_seq"),
        _latest_event(ev.c.payload).label("_payload"),
        _latest_event(ev.c.payload_digest).label("_digest"),
        select(func.max(t.checkpoints.c.tree_size)).scalar_subquery().label("_signed"),
    ).where(t.stations.c.token_hash == token_hash)
    with store.read() as conn:
        found = conn.execute(query).mappings().first()
    if found is None:
        return None
    row = {name: found[name] for name in t.stations.c.keys()}
    seq = None if found["_seq"] is None else int(found["_seq"])
    return row, Recorded(seq, found["_payload"], found["_digest"], int(found["_signed"] or 0))


def live_station_named(conn: Connection, name: str) -> str | None:
    """The id of the unrevoked station with this name, if any."""
    clash = conn.execute(
        select(t.stations.c.id).where(
            (t.stations.c.name == name) & t.stations.c.revoked_at.is_(None)
        )
    ).scalar()
    return None if clash is None else str(clash)


def lock_station(conn: Connection, station_id: str) -> dict[str, Any] | None:
    """The station's row, locked until the transaction ends (PostgreSQL; SQLite's write
    transaction holds the database): concurrent revocations queue and see each other."""
    query = select(t.stations).where(t.stations.c.id == station_id).with_for_update()
    found = conn.execute(query).mappings().first()
    return None if found is None else dict(found)


def unrecorded_stations(conn: Connection) -> list[tuple[dict[str, Any], set[str]]]:
    """Stations no ledger event has a row digest of (issued before the stations table was
    ledger-written), each with the actions of the station events that name it. The rows
    are locked first, so a second process adopting at the same time waits and sees them
    recorded."""
    rows = conn.execute(
        select(t.stations).order_by(t.stations.c.created_at).with_for_update()
    ).mappings()
    stations = {str(r["id"]): dict(r) for r in rows}
    if not stations:
        return []
    ev = t.ledger_events
    events = conn.execute(
        select(ev.c.subject_id, ev.c.action, ev.c.payload).where(
            ev.c.subject_type == "station", ev.c.subject_id.in_(list(stations))
        )
    )
    actions: dict[str, set[str]] = {key: set() for key in stations}
    recorded: set[str] = set()
    for subject, action, payload in events:
        actions[subject].add(action)
        rows_of = payload.get("rows") if isinstance(payload, dict) else None
        for entry in rows_of if isinstance(rows_of, list) else ():
            if isinstance(entry, dict) and entry.get("table") == "stations":
                recorded.add(str(entry.get("key")))
    return [(row, actions[key]) for key, row in stations.items() if key not in recorded]
