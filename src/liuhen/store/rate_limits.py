"""Request rate limits counted by the database, so that every node of a cluster shares
them: a subject's requests in a fixed window are one row's ``hits``, incremented by one
upsert (``INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits``). The database
serialises the increments of one row (SQLite: one writer at a time; PostgreSQL: the upsert
locks the row), so N requests at once on any number of nodes get the counts 1..N, each
once, and exactly ``limit`` of them are let through.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.exc import OperationalError

from liuhen.store import tables as t
from liuhen.store.upsert import insert

if TYPE_CHECKING:
    from liuhen.store.store import Store

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """One request counted: the ``count``-th of its window, which ends in ``retry_after``
    seconds (at least 1)."""

    count: int
    retry_after: int


def window_start(now: datetime, seconds: int) -> datetime:
    """The start of the fixed window of ``seconds`` that holds ``now`` (UTC-aligned)."""
    elapsed = int((now - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def count_hit(store: Store, subject: str, *, seconds: int) -> Hit | None:
    """Count one request of ``subject`` in the current window of ``seconds``; the count
    includes this request. Opening a window drops the subject's older ones. None when the
    count could not be written (a full disk, the database busy past its timeout): a limit
    does not turn a storage problem into a refusal; the request meets the problem itself
    where it writes, with its own message."""
    now = store.clock()
    start = window_start(now, seconds)
    c = t.rate_windows.c
    try:
        with store.engine.begin() as conn:
            stmt = insert(conn, t.rate_windows).values(subject=subject, window_start=start, hits=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=[c.subject, c.window_start], set_={"hits": c.hits + 1}
            )
            count = int(conn.execute(stmt.returning(c.hits)).scalar_one())
            if count == 1:
                past = delete(t.rate_windows).where(c.subject == subject, c.window_start < start)
                conn.execute(past)
    except OperationalError as exc:
        log.warning("rate limit of %s not counted: %s", subject, exc.orig)
        return None
    left = (start + timedelta(seconds=seconds) - now).total_seconds()
    return Hit(count, max(1, int(left + 0.999)))
