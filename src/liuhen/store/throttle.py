"""Sign-in throttling enforced by the database: at most ``limit`` password or code checks
per account in a sliding window, however many requests arrive at once, on any number of
processes or nodes.

An account (or an unknown name) has ``limit`` rows in ``signin_slots``. A check first
takes one, trying slot 0, 1, … in turn with one upsert each: insert the slot, or, when it
exists, take it only if it was last taken before the window (``INSERT … ON CONFLICT DO
UPDATE … WHERE claimed_at <= now - window RETURNING``). The database decides the condition
on the row as it is when written (SQLite: one writer at a time; PostgreSQL: the upsert
locks the row and re-checks it), so two requests never take the same slot and a sixth
concurrent request finds none. A check that succeeds gives its slot back (``release``), so
the next sign-in takes slot 0 again in one statement; a failed one keeps it for the
window, which is the lockout: locked until the oldest kept slot leaves the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from liuhen.store import tables as t

if TYPE_CHECKING:
    from liuhen.store.store import Store

FREE = datetime(1970, 1, 1, tzinfo=UTC)
"""``claimed_at`` of a slot given back: outside every window."""


@dataclass(frozen=True)
class Claim:
    """A slot taken (``slot``, at ``at``), or none free: locked ``until``."""

    slot: int | None
    at: datetime
    until: datetime | None = None

    @property
    def granted(self) -> bool:
        return self.slot is not None


def claim(store: Store, subject: str, *, limit: int, window: timedelta) -> Claim:
    """Take one of ``subject``'s ``limit`` slots for a check now, or say until when every
    slot is held (a check then must not run)."""
    now = store.clock()
    cutoff = now - window
    with store.engine.begin() as conn:
        for n in range(limit):
            if _take(conn, subject, n, now, cutoff):
                return Claim(n, now)
        held = [at for at in _slots(conn, subject) if at > cutoff]
    return Claim(None, now, until=min(held) + window if held else now)


def release(store: Store, subject: str, taken: Claim) -> None:
    """Give back a slot whose check succeeded (it does not count toward the lockout)."""
    if taken.slot is None:
        return
    with store.engine.begin() as conn:
        conn.execute(
            update(t.signin_slots)
            .where(
                t.signin_slots.c.subject_id == subject,
                t.signin_slots.c.slot == taken.slot,
                t.signin_slots.c.claimed_at == taken.at,
            )
            .values(claimed_at=FREE)
        )


def _slots(conn: Connection, subject: str) -> list[datetime]:
    """When each of the subject's slots was last taken."""
    query = select(t.signin_slots.c.claimed_at).where(t.signin_slots.c.subject_id == subject)
    return [at for (at,) in conn.execute(query)]


def _take(conn: Connection, subject: str, n: int, now: datetime, cutoff: datetime) -> bool:
    """Take slot ``n`` if it is new or free as the database sees it; True when taken (the
    upsert returned its row)."""
    values = {"subject_id": subject, "slot": n, "claimed_at": now}
    keys = [t.signin_slots.c.subject_id, t.signin_slots.c.slot]
    insert: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(t.signin_slots).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={"claimed_at": stmt.excluded.claimed_at},
        where=t.signin_slots.c.claimed_at <= cutoff,
    )
    return conn.execute(upsert.returning(t.signin_slots.c.slot)).first() is not None
