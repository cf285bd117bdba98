"""The oversight feature's reads beside the store's counts (``store/queries/dashboard.py``)."""

from __future__ import annotations

from sqlalchemy import select

from liuhen.store import tables as t
from liuhen.store.store import Store


def agency_names(store: Store) -> dict[str, str]:
    """Agency id -> name, for every agency."""
    with store.read() as conn:
        return dict(conn.execute(select(t.agencies.c.id, t.agencies.c.name)).all())
