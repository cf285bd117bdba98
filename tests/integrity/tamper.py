"""What an intruder with file access does to a copy of the store, as plain functions: SQL run
around the insert-only guards, cells changed to another value of their type or to one that
is malformed, files cut or deleted. The campaign (``mutations``) composes them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Integer, LargeBinary

from liuhen.store import tables as t
from liuhen.store.raw_rows import HEX_COLUMNS
from liuhen.store.types import JSONText, UTCDateTime

STORED_TIME = "%Y-%m-%d %H:%M:%S.%f"

Apply = Callable[[Path, Path], None]
"""Change a copy: ``apply(data_dir, witness_dir)``."""


@dataclass(frozen=True)
class Mutation:
    """One change of one class, and the objects a finding must name (every one of them)."""

    cls: str
    label: str
    apply: Apply
    expect: tuple[str, ...]
    pinned: bool = True
    """False: verified without the pinned fingerprint (only the witnesses know the key)."""


def database(data: Path) -> Path:
    return data / "liuhen.sqlite3"


@contextmanager
def intruder(data: Path, *tables: str) -> Iterator[sqlite3.Connection]:
    """A connection to the copy's database with the insert-only triggers of ``tables`` (all
    when none is named) dropped, put back as they were afterwards (so what verify sees is
    the changed data, not a changed schema)."""
    conn = sqlite3.connect(database(data))
    guards = [
        (name, sql)
        for name, table, sql in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND (name LIKE '%_no_update' OR name LIKE '%_no_delete')"
        )
        if not tables or table in tables
    ]
    for name, _sql in guards:
        conn.execute(f"DROP TRIGGER {name}")
    try:
        yield conn
        for _name, sql in guards:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def rows(data: Path, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` as SQLite stores it."""
    conn = sqlite3.connect(database(data))
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]  # noqa: S608
    finally:
        conn.close()


def kind_of(table: str, column: str) -> str:
    """json, time, bool, int, bytes, hex or text: how a cell of the column is stored."""
    kind = t.metadata.tables[table].columns[column].type
    if isinstance(kind, JSONText):
        return "json"
    if isinstance(kind, UTCDateTime):
        return "time"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, LargeBinary):
        return "bytes"
    return "hex" if column in HEX_COLUMNS.get(table, ()) else "text"


def changed(kind: str, value: Any) -> Any:
    """Another valid value of the same kind, stored as LiuHen would store it."""
    if value is None:
        return {"time": "2026-11-21 01:00:00.000000", "int": 1, "bool": 1, "json": "{}"}.get(
            kind, "篡改"
        )
    if kind == "json":
        data = json.loads(value)
        data = {**data, "篡改": 1} if isinstance(data, dict) else [data, "篡改"]
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if kind == "time":
        moment = datetime.strptime(value, STORED_TIME) + timedelta(seconds=1)
        return moment.strftime(STORED_TIME)
    if kind == "bool":
        return 1 - int(value)
    if kind == "int":
        return int(value) + 1
    if kind == "bytes":
        return bytes([value[0] ^ 1]) + bytes(value[1:])
    if kind == "hex":
        return ("1" if value[0] != "1" else "2") + value[1:]
    return f"{value}篡"


MALFORMED: dict[str, tuple[str, ...]] = {
    "json": ("float", "not-json", "blob"),
    "time": ("not-a-time", "bad-date", "integer"),
    "bool": ("seven", "text"),
    "int": ("text", "blob"),
    "bytes": ("text",),
    "hex": ("not-hex", "upper", "blob"),
    "text": ("blob",),
}
"""The malformed forms of each kind of cell a campaign writes (SQLite keeps them as given)."""


def malformed(kind: str, form: str, value: Any) -> Any:
    if form == "float":
        data = json.loads(value) if isinstance(value, str) else {}
        data = {**data, "篡改": 1.5} if isinstance(data, dict) else [data, 1.5]
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {
        "not-json": '{"未闭合": ',
        "blob": b"\x00\xff",
        "not-a-time": "not a time",
        "bad-date": "2026-13-45 25:61:61.000000",
        "integer": 20261120,
        "seven": 7,
        "text": "篡改",
        "not-hex": "zz" + "0" * 62,
        "upper": _upper(value),
    }[form]


def _upper(value: Any) -> str:
    text = str(value or "ab" * 32)
    return text.upper() if text.upper() != text else "A" + text[1:]


def cut_lines(path: Path, keep: int) -> None:
    """Keep the first ``keep`` lines of a JSON-lines file (a cut at a line boundary)."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:keep]))


def line_count(path: Path) -> int:
    return len(path.read_bytes().splitlines())
