"""Ledger events of a write transaction held back until its connection's next statement or
its commit, so the units of work of a batch (``write_group``) insert theirs together.

A unit that records an event and ends (most saved forms: rows, then one ``record``) used to
insert the event, move the ledger's head and mark the case changed, three statements each,
and its savepoint cost two more. Now ``Tx.record`` seals the event (its seq and chain hash
decided under the head's lock, as before) and keeps it here; the rows reach the database
before any other statement runs on the connection (``before_execute``, so a query in the
same transaction still reads every event recorded before it) or before the commit, in one
insert for the batch. A unit after a batch's first takes its savepoint only when it runs a
statement (the events of the units before it are inserted first, so a rollback to the
savepoint undoes only its own); a unit that runs none and fails has its events dropped here.

Held only in ``Writes``' transactions (``hold``); every other ``Tx`` inserts at once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.selectable import GenerativeSelect

from liuhen.ledger.events import READ_ACTIONS
from liuhen.store import tables as t
from liuhen.store.copy_rows import copy_rows
from liuhen.store.db_errors import lock_waited
from liuhen.store.upsert import insert

KEY = "liuhen.held_events"
"""The connection's ``info`` key of its ``HeldEvents`` while a write transaction holds some."""
SAVEPOINT = "liuhen_unit"
"""The savepoint of a unit after a batch's first (one at a time: the name is reused)."""

_INSERT_EVENTS = t.ledger_events.insert()
_MOVE_HEAD = (
    update(t.ledger_head)
    .where(t.ledger_head.c.id == 1)
    .values(next_seq=bindparam("next_seq"), chain_hash=bindparam("chain_hash"))
)


def write_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert sealed event ``rows`` (in seq order, after the ledger's head), move the head
    past them and note each case they change at its newest seq (``case_changes``)."""
    if not rows:
        return
    if len(rows) > 1 and conn.dialect.name == "postgresql":
        copy_rows(conn, t.ledger_events, rows)  # one stream, not an INSERT a row
    else:
        conn.execute(_INSERT_EVENTS, rows)
    changed = changed_cases(rows)
    if changed:
        values = [{"case_id": case, "seq": seq} for case, seq in changed.items()]
        stmt = insert(conn, t.case_changes).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["case_id"], set_={"seq": stmt.excluded.seq}
        )
        conn.execute(stmt)
    last = rows[-1]
    conn.execute(_MOVE_HEAD, {"next_seq": int(last["seq"]) + 1, "chain_hash": last["chain_hash"]})


def changed_cases(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Each case the event ``rows`` change, with the seq of the newest that does (what
    ``case_changes`` holds; a reading changes nothing)."""
    changed: dict[str, int] = {}
    for row in rows:
        if row["action"] not in READ_ACTIONS and row["case_id"] is not None:
            changed[row["case_id"]] = int(row["seq"])
    return changed


@dataclass
class HeldEvents:
    """The events a transaction has sealed and not yet inserted. ``mark``: where the
    running unit's rows begin (those before are earlier units'); ``savepoint_due``: the
    running unit is a batch's later one and has not yet taken its savepoint;
    ``in_savepoint``: it has."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    mark: int = 0
    savepoint_due: bool = False
    in_savepoint: bool = False
    busy: bool = False  # running its own statements: the hook lets them through
    active: bool = True  # its transaction is open (``release``)
    later: bool = False  # a later unit is running (``begin_unit`` to ``end_unit``)
    touched: bool = False  # ... and has run a statement that locks or writes
    lock_wait_ms: int = 0  # later units wait this long for a row lock at most (0: no bound)
    bounded: bool = False  # ``lock_wait_ms`` is in force in the transaction
    step_out: Callable[[], None] | None = None
    """Commit the batch without the running later unit, which goes on in a transaction of
    its own on the same connection (``writes``)."""

    def flush(self, conn: Connection, upto: int | None = None) -> None:
        """Insert the held rows (the first ``upto`` of them)."""
        end = len(self.rows) if upto is None else upto
        if end <= 0:
            return
        self._own(conn, lambda: write_events(conn, self.rows[:end]))
        del self.rows[:end]
        self.mark = max(0, self.mark - end)

    def take(self) -> list[dict[str, Any]]:
        """Every held row, no longer held: the commit inserts them itself (``Writes``)."""
        rows, self.rows, self.mark = self.rows, [], 0
        return rows

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Hold ``rows``, sealed by the running unit (which then may not step out)."""
        self.rows.extend(rows)
        self.touched = True

    def before_statement(self, conn: Connection) -> None:
        """A statement is about to run: the running unit's savepoint first if it is due
        (after the earlier units' events), then every held event."""
        if self.savepoint_due:
            self.flush(conn, self.mark)
            if self.lock_wait_ms and not self.bounded:  # before the savepoint: it outlives it
                wait = f"SET LOCAL lock_timeout = '{int(self.lock_wait_ms)}ms'"
                self._own(conn, lambda: conn.exec_driver_sql(wait))
                self.bounded = True
            self._own(conn, lambda: conn.exec_driver_sql(f"SAVEPOINT {SAVEPOINT}"))
            self.savepoint_due, self.in_savepoint = False, True
        self.flush(conn)

    def begin_unit(self) -> None:
        """A later unit of the batch begins: its savepoint is taken by its first statement."""
        self.mark, self.savepoint_due, self.in_savepoint = len(self.rows), True, False
        self.later, self.touched = True, False

    def may_step_out(self) -> bool:
        """Whether the running unit may still leave its batch (``step_out``): a later unit
        that has neither locked nor written anything (reads are read again)."""
        return self.step_out is not None and self.later and not self.touched

    def end_unit(self, conn: Connection, *, ok: bool) -> None:
        """The running unit ended (``ok``) or failed: keep its events, or drop them (those
        inserted, by rolling back to its savepoint)."""
        if ok:
            if self.in_savepoint:
                self._own(conn, lambda: conn.exec_driver_sql(f"RELEASE SAVEPOINT {SAVEPOINT}"))
            self._unit_ended(len(self.rows))
            return
        try:
            if self.in_savepoint:
                self._own(conn, lambda: _roll_back_unit(conn))
        finally:
            del self.rows[self.mark :]
            self._unit_ended(self.mark)

    def _unit_ended(self, mark: int) -> None:
        self.mark, self.savepoint_due, self.in_savepoint = mark, False, False
        self.later, self.touched, self.step_out = False, False, None

    def _own(self, conn: Connection, run: Any) -> None:
        self.busy = True
        try:
            run()
        finally:
            self.busy = False


def _roll_back_unit(conn: Connection) -> None:
    conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
    conn.exec_driver_sql(f"RELEASE SAVEPOINT {SAVEPOINT}")


def hold(conn: Connection) -> HeldEvents:
    """Hold the events recorded on ``conn`` from now on (a write transaction's, just begun)."""
    found = HeldEvents()
    conn.info[KEY] = found
    return found


def release(conn: Connection, found: HeldEvents) -> None:
    """Its transaction has ended (committed or rolled back): hold nothing more. A connection
    lost meanwhile has no ``info`` to clear (the pool drops it); the hook ignores what ended."""
    found.active = False
    found.rows.clear()
    with suppress(Exception):
        conn.info.pop(KEY, None)


def _before_execute(conn: Connection, statement: Any, *_: Any) -> None:
    found = conn.info.get(KEY)
    if found is None or not found.active or found.busy:
        return
    if found.rows or found.savepoint_due:
        found.before_statement(conn)
    if found.later and not found.touched and _locks_or_writes(statement):
        found.touched = True


def _locks_or_writes(statement: Any) -> bool:
    """Whether ``statement`` may lock or write a row: anything but a plain ``SELECT``."""
    if isinstance(statement, str):  # the driver's SQL: a SELECT without FOR … is plain
        sql = statement.upper()
        return not sql.lstrip().startswith("SELECT") or " FOR " in sql
    return not isinstance(statement, GenerativeSelect) or statement._for_update_arg is not None


def watch(engine: Engine) -> None:
    """Insert held events before any statement on ``engine``'s connections (once each)."""
    if not event.contains(engine, "before_execute", _before_execute):
        event.listen(engine, "before_execute", _before_execute)


class WriteConnection(Connection):
    """A PostgreSQL write batch's connection: a statement of a later unit that waited past
    the batch's ``lock_wait_ms`` for a row lock, before the unit locked or wrote anything,
    is run again once the unit has stepped out of the batch (``HeldEvents.step_out``),
    where it may wait as long as any transaction of its own."""

    def execute(
        self, statement: Any, parameters: Any = None, *, execution_options: Any = None
    ) -> Any:
        return self._stepping(
            lambda: super(WriteConnection, self).execute(
                statement, parameters, execution_options=execution_options
            )
        )

    def scalar(
        self, statement: Any, parameters: Any = None, *, execution_options: Any = None
    ) -> Any:
        return self._stepping(
            lambda: super(WriteConnection, self).scalar(
                statement, parameters, execution_options=execution_options
            )
        )

    def exec_driver_sql(
        self, statement: str, parameters: Any = None, execution_options: Any = None
    ) -> Any:
        return self._stepping(
            lambda: super(WriteConnection, self).exec_driver_sql(
                statement, parameters, execution_options
            )
        )

    def _stepping(self, run: Callable[[], Any]) -> Any:
        found = self.info.get(KEY) if not self.invalidated else None
        free = found is not None and found.active and not found.busy and found.may_step_out()
        step_out = found.step_out if free and found is not None else None
        try:
            return run()
        except OperationalError as exc:
            if step_out is None or not lock_waited(exc):
                raise
            step_out()
        return run()
