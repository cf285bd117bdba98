"""One row of a ``SELECT`` read on the driver's own cursor, for a statement a server runs
many times a second (an inclusion proof's), where SQLAlchemy's execution (the transaction
it begins, its events, a result object, a mapping) costs more than the database's answer.

The statement is compiled once per database; each column comes back decoded by its own
type's result processor, as ``Connection.execute`` gives it. Parameters are passed as they
are (integers and text: no type here processes a bound value). Nothing begins a
transaction: one statement reads one snapshot of its own (SQLite's connections run without
an implicit BEGIN here; PostgreSQL's reads run in autocommit: ``Store.read``). On
PostgreSQL the row comes in binary (a ``bytea`` as its bytes, not hex to decode).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect


class _Compiled:
    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.compiled = compiled
        self.positional = compiled.positiontup
        self.names = [c.name for c in stmt.selected_columns]
        self.load: list[Callable[[Any], Any] | None] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in stmt.selected_columns
        ]
        self.binary = dialect.driver == "psycopg"


class DriverSelect:
    """``first(conn, params)``: the first row of ``stmt`` as a dict by column name (the
    labels of its columns), or None."""

    def __init__(self, stmt: Select[Any]) -> None:
        self._stmt = stmt
        self._compiled: dict[Dialect, _Compiled] = {}

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        dialect = conn.dialect
        c = self._compiled.get(dialect)
        if c is None:
            c = self._compiled[dialect] = _Compiled(self._stmt, dialect)
        values = c.compiled.construct_params(dict(params))
        bound: Any = tuple(values[n] for n in c.positional) if c.positional else values
        dbapi = conn.connection
        cursor = dbapi.cursor(binary=True) if c.binary else dbapi.cursor()
        try:
            if conn._has_events or conn.engine._has_events:  # listeners (statement counts)
                conn.dispatch.before_cursor_execute(conn, cursor, c.sql, bound, None, False)
            cursor.execute(c.sql, bound)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return {
            name: (load(value) if load is not None and value is not None else value)
            for name, load, value in zip(c.names, c.load, row, strict=True)
        }
