"""A SQLite store's rows, table by table, into a PostgreSQL database whose schema is at the
same migration: the same rows, fingerprints and ledger, so the copy verifies as the source
does (with the source's data directory beside it: signing key, blobs, checkpoint log).

Rows go in by ``COPY`` (``copy_rows``), every value bound as an ``INSERT`` binds it, with
the guards and foreign keys off for the connection (``session_replication_role``), then the
serial columns are moved past the copied ids, and the copy is analysed for the planner.
The SQLite full-text index is not copied:
PostgreSQL searches the summaries' own columns. Used by the page benchmark's PostgreSQL
store and the statement-budget tests' PostgreSQL world (a copy of the SQLite one)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, select, text

from liuhen.errors import ConfigError
from liuhen.store import tables as t
from liuhen.store.copy_rows import copy_rows

BATCH = 5_000
SERIALS = (("ledger_head", "id"), ("verification_runs", "id"))
"""The columns PostgreSQL numbers from a sequence."""


def copy_sqlite_store(source: Path, target: Engine) -> dict[str, int]:
    """Every row of the SQLite database file ``source`` into the PostgreSQL database of
    ``target``, replacing what the migrations wrote there, in one transaction (nothing is
    written when it fails); returns how many rows each table received. Both schemas must be
    at the same revision."""
    if not source.is_file():  # SQLite would make an empty file and fail on its first read
        raise ConfigError(f"找不到要复制的 SQLite 数据库文件：{source}（请检查路径）")
    reading = create_engine(f"sqlite:///{source}")
    try:
        with reading.connect() as reader, target.begin() as writer:
            _same_revision(reader, writer)
            copied = _copy(reader, writer)
    finally:
        reading.dispose()
    with target.begin() as conn:  # committed: statistics of a rolled-back ANALYZE are lost
        conn.execute(text("ANALYZE"))
    return copied


def _copy(reader: Connection, writer: Connection) -> dict[str, int]:
    writer.execute(text("SET LOCAL session_replication_role = replica"))
    for table in reversed(t.metadata.sorted_tables):
        writer.execute(table.delete())
    copied = {}
    for table in t.metadata.sorted_tables:
        rows = reader.execute(select(table)).mappings()
        copied[table.name] = 0
        for batch in _batches(iter(rows)):
            copy_rows(writer, table, batch)
            copied[table.name] += len(batch)
    for table_name, column in SERIALS:
        writer.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table_name}', '{column}'), "
                f"COALESCE((SELECT MAX({column}) FROM {table_name}), 0) + 1, false)"
            )
        )
    return copied


def _same_revision(reader: Connection, target: Connection) -> None:
    revision = "SELECT version_num FROM alembic_version"
    have, want = reader.execute(text(revision)).scalar(), target.execute(text(revision)).scalar()
    if have != want:
        raise ConfigError(f"数据库结构版本不同：SQLite 为 {have}，PostgreSQL 为 {want}")


def _batches(rows: Iterator[Any]) -> Iterator[list[dict[str, Any]]]:
    while batch := [dict(row) for row in islice(rows, BATCH)]:
        yield batch
