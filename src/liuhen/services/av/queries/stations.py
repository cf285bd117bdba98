"""Docking stations as stored: by id, by token hash, all of them, and a live one's name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from liuhen.store import tables as t
from liuhen.store.store import Store


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


def station_by_token_hash(store: Store, token_hash: str) -> dict[str, Any] | None:
    """The row of the station whose token has this SHA-256."""
    with store.read() as conn:
        row = (
            conn.execute(select(t.stations).where(t.stations.c.token_hash == token_hash))
            .mappings()
            .first()
        )
    return None if row is None else dict(row)


def live_station_named(conn: Connection, name: str) -> str | None:
    """The id of the unrevoked station with this name, if any."""
    clash = conn.execute(
        select(t.stations.c.id).where(
            (t.stations.c.name == name) & t.stations.c.revoked_at.is_(None)
        )
    ).scalar()
    return None if clash is None else str(clash)
