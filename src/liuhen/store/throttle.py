"""Sign-in throttling enforced by the database: at most ``limit`` password or code checks
per account in a sliding window, however many requests arrive at once, on any number of
processes or nodes.

An account (or an unknown name) has ``limit`` rows in ``signin_slots``. A check first
takes one: a conditional insert of a slot that does not exist yet, or a conditional update
of a slot last taken before the window (``claimed_at <= now - window``). The condition is
evaluated by the database against the row as it is when written (SQLite: one writer at a
time; PostgreSQL: the update waits for a concurrent one and re-checks the row), so two
requests never take the same slot and a sixth concurrent request finds none. A check that
succeeds gives its slot back (``release``); a failed one keeps it for the window, which
is the lockout: locked until the oldest kept slot leaves the window.
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
ROUNDS = 4
"""Reads of the slots before a claim gives up as locked (a slot seen free may be taken by a
concurrent request before this one writes; it then reads again)."""


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
    for _ in range(ROUNDS):
        with store.engine.begin() as conn:
            held = _slots(conn, subject)
            free = [n for n in range(limit) if n not in held or held[n] <= cutoff]
            for n in free:
                if _take(conn, subject, n, n in held, now, cutoff):
                    return Claim(n, now)
            if not free:
                recent = [at for at in held.values() if at > cutoff]
                return Claim(None, now, until=min(recent) + window if recent else now)
    return Claim(None, now, until=now + timedelta(seconds=1))


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


def _slots(conn: Connection, subject: str) -> dict[int, datetime]:
    """The subject's slots and when each was last taken (locked for update on PostgreSQL,
    so concurrent claims of one subject take their turns)."""
    query = select(t.signin_slots.c.slot, t.signin_slots.c.claimed_at).where(
        t.signin_slots.c.subject_id == subject
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {int(n): at for n, at in conn.execute(query)}


def _take(
    conn: Connection, subject: str, n: int, exists: bool, now: datetime, cutoff: datetime
) -> bool:
    """Take slot ``n`` if it is still free as the database sees it; True when taken (the
    row the write returns: ``UPDATE … RETURNING``, ``INSERT … ON CONFLICT DO NOTHING
    RETURNING``)."""
    if exists:
        done = conn.execute(
            update(t.signin_slots)
            .where(
                t.signin_slots.c.subject_id == subject,
                t.signin_slots.c.slot == n,
                t.signin_slots.c.claimed_at <= cutoff,
            )
            .values(claimed_at=now)
            .returning(t.signin_slots.c.slot)
        )
        return done.first() is not None
    values = {"subject_id": subject, "slot": n, "claimed_at": now}
    stmt: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(t.signin_slots).values(**values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(t.signin_slots).values(**values).on_conflict_do_nothing()
    return conn.execute(stmt.returning(t.signin_slots.c.slot)).first() is not None
