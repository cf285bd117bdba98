"""Many rows into one table on PostgreSQL by ``COPY … FROM STDIN``: a bulk append (a batch
of ledger events) in one stream instead of one ``INSERT`` executed per row (psycopg's
``executemany``), which costs the server a parse, bind and execute each. Every value is
bound by its column's type exactly as an ``INSERT`` through SQLAlchemy binds it, so the
rows stored are the same (``tests/integration/test_ledger_tiles.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

_PLANS: dict[tuple[str, Dialect], tuple[str, list[str], list[Callable[[Any], Any] | None]]] = {}


def _plan(
    table: Table, dialect: Dialect
) -> tuple[str, list[str], list[Callable[[Any], Any] | None]]:
    key = (table.name, dialect)
    if key not in _PLANS:
        quote = dialect.identifier_preparer.quote
        names = [c.name for c in table.columns]
        binds: list[Callable[[Any], Any] | None] = [
            c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns
        ]
        sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        _PLANS[key] = (sql, names, binds)
    return _PLANS[key]


def copy_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each naming every column of ``table``) in the connection's
    transaction, on PostgreSQL's ``COPY``."""
    sql, names, binds = _plan(table, conn.dialect)
    cursor = conn.connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(_bound(row, names, binds))
    finally:
        cursor.close()


def bound_columns(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """Each column of ``table`` (by name) with the value of every row of ``rows``, bound by
    the column's type as an ``INSERT`` binds it: an array a column for ``unnest``."""
    _, names, binds = _plan(table, conn.dialect)
    values = [_bound(row, names, binds) for row in rows]
    return {name: [v[n] for v in values] for n, name in enumerate(names)}


def _bound(
    row: Mapping[str, Any], names: list[str], binds: list[Callable[[Any], Any] | None]
) -> list[Any]:
    return [
        bind(row[n]) if bind is not None and row[n] is not None else row[n]
        for n, bind in zip(names, binds, strict=True)
    ]
