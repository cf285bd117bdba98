"""Rows read the way an inspector must read them: cell by cell, never trusting the bytes.

An ordinary read hands every cell to its column type (JSON parsed, times parsed) while the
row is fetched, so one damaged cell ends the whole read in a traceback. ``raw_rows`` fetches
what the database holds without conversion and decodes each cell itself with the column's
own type: a cell that is not what LiuHen would have written (text in a JSON column that is
not JSON, a float inside JSON, a time that is no time, a hash that is not 64 hex digits, a
NULL where none is allowed, a value of the wrong type, or a value in another form than the
one LiuHen writes) becomes a ``CellProblem`` naming its column; the rest of the row and
every other row are still read. ``liuhen verify`` reads through here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Integer, LargeBinary, String
from sqlalchemy import Table as SaTable
from sqlalchemy.engine import Dialect

from liuhen.store.types import JSONText, UTCDateTime

HEX_COLUMNS: dict[str, tuple[str, ...]] = {
    "ledger_events": ("payload_digest", "prev_hash", "chain_hash", "leaf_hash"),
    "ledger_head": ("chain_hash",),
    "checkpoints": ("root_hash",),
    "blobs": ("sha256", "sm3"),
    "record_files": ("blob_sha256",),
    "disposals": ("blob_sha256",),
    "share_links": ("token_hash",),
    "stations": ("token_hash",),
}
"""Columns that hold a SHA-256 or SM3 digest: 64 lowercase hex digits, nothing else."""

_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass
class CellProblem:
    column: str
    message: str


@dataclass
class RawRow:
    """One row: ``values`` as the column types return them (a cell that could not be decoded
    is None there and has a ``problems`` entry); ``raw`` as the database holds them."""

    values: dict[str, Any]
    raw: dict[str, Any]
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def damaged(self) -> set[str]:
        return {p.column for p in self.problems}


def raw_rows(
    conn: Connection,
    tbl: SaTable,
    order_by: str | None = None,
    where: str = "",
    params: tuple[Any, ...] = (),
) -> Iterator[RawRow]:
    """Every row of ``tbl`` (only those ``where`` holds, a driver condition with ``params``
    for its ``param_mark``s; in ``order_by`` order when given), decoded cell by cell. In a
    transaction (``verify``'s snapshot) the rows come a thousand at a time, on PostgreSQL
    through a cursor on the server, where the driver would take a whole table first."""
    if conn.in_transaction():
        conn = conn.execution_options(stream_results=True, max_row_buffer=1000)
    decode = row_decoder(tbl, conn.dialect)
    sql = f"SELECT {column_list(conn.dialect, tbl)} FROM {quoted(conn.dialect, tbl.name)}"
    if where:
        sql += f" WHERE {where}"
    if order_by is not None:
        sql += f" ORDER BY {quoted(conn.dialect, order_by)}"
    fetched_rows = conn.exec_driver_sql(sql, params) if params else conn.exec_driver_sql(sql)
    for fetched in fetched_rows:
        yield decode(tuple(fetched))


def raw_rows_by_key(
    conn: Connection, tbl: SaTable, key: str, values: Iterable[str], chunk: int = 500
) -> Iterator[RawRow]:
    """The rows of ``tbl`` whose ``key`` column is one of ``values`` (by its index, ``chunk``
    values a statement), decoded cell by cell."""
    wanted = sorted(set(values))
    mark, column = param_mark(conn.dialect), quoted(conn.dialect, key)
    for at in range(0, len(wanted), chunk):
        part = tuple(wanted[at : at + chunk])
        yield from raw_rows(
            conn, tbl, where=f"{column} IN ({', '.join([mark] * len(part))})", params=part
        )


def param_mark(dialect: Dialect) -> str:
    """How a driver statement of ``dialect`` marks a positional parameter (``?`` or ``%s``)."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def quoted(dialect: Dialect, name: str) -> str:
    return str(dialect.identifier_preparer.quote(name))


def column_list(dialect: Dialect, tbl: SaTable) -> str:
    """Every column of ``tbl``, quoted, in the table's order (what ``row_decoder`` takes)."""
    return ", ".join(quoted(dialect, c.name) for c in tbl.columns)


def row_decoder(tbl: SaTable, dialect: Dialect) -> Callable[[tuple[Any, ...]], RawRow]:
    """Decodes one fetched row of ``tbl`` (every column, in the table's order), cell by cell."""
    names = [c.name for c in tbl.columns]
    decoders = _decoders(tbl, dialect)

    def decode(fetched: tuple[Any, ...]) -> RawRow:
        row = RawRow({}, dict(zip(names, fetched, strict=True)))
        for decoder, value in zip(decoders, fetched, strict=True):
            decoded, problem = decoder(value)
            row.values[decoder.name] = decoded
            if problem is not None:
                row.problems.append(CellProblem(decoder.name, problem))
        return row

    return decode


_DECODERS: dict[tuple[str, str, str], list[_Decoder]] = {}


def _decoders(tbl: SaTable, dialect: Dialect) -> list[_Decoder]:
    """One decoder per column, made once per table and database driver."""
    key = (tbl.name, dialect.name, str(dialect.driver))
    if key not in _DECODERS:
        _DECODERS[key] = [_Decoder(tbl, c.name, dialect) for c in tbl.columns]
    return _DECODERS[key]


class _Decoder:
    """Decodes one column's cells with the column type's own result processor, then checks
    that LiuHen would have written exactly that cell for the decoded value."""

    def __init__(self, tbl: SaTable, name: str, dialect: Dialect) -> None:
        col = tbl.columns[name]
        self.name = name
        self.nullable = bool(col.nullable)
        self.kind = col.type
        impl = col.type.dialect_impl(dialect)
        self.load = impl.result_processor(dialect, None)
        self.dump = impl.bind_processor(dialect)
        self.hex = name in HEX_COLUMNS.get(tbl.name, ())
        self.sqlite = dialect.name == "sqlite"

    def __call__(self, value: Any) -> tuple[Any, str | None]:
        if value is None:
            return None, None if self.nullable else "不允许为空，却为空（NULL）"
        wrong = self._wrong_type(value)
        if wrong:
            return None, wrong
        try:
            decoded = self.load(value) if self.load else value
        except (ValueError, TypeError, OverflowError) as exc:
            return None, f"{_what(self.kind)}无法解析：{_short(value)}（{type(exc).__name__}）"
        if isinstance(self.kind, JSONText) and _has_float(decoded):
            return None, f"JSON 中含浮点数（系统只写整数或文本）：{_short(value)}"
        if self.hex and not (isinstance(decoded, str) and _HEX.fullmatch(decoded)):
            return None, f"应为 64 位小写十六进制摘要，实为 {_short(value)}"
        if not self._canonical(value, decoded):
            return None, f"不是系统写入的规范形式：{_short(value)}"
        return decoded, None

    def _wrong_type(self, value: Any) -> str | None:
        kind = self.kind
        if isinstance(kind, (JSONText, String)):
            expected: tuple[type, ...] = (str,)
        elif isinstance(kind, UTCDateTime):
            expected = (str,) if self.sqlite else (datetime,)
        elif isinstance(kind, Boolean):
            expected = (int,)
        elif isinstance(kind, Integer):
            expected = (int,)
            if isinstance(value, bool):
                return f"类型错误：应为整数，实为 {_short(value)}"
        elif isinstance(kind, LargeBinary):
            expected = (bytes, memoryview)
        else:
            return None
        if not isinstance(value, expected):
            return f"类型错误：应为{_what(kind)}，实为 {type(value).__name__} {_short(value)}"
        return None

    def _canonical(self, value: Any, decoded: Any) -> bool:
        """True when writing ``decoded`` back would store ``value`` itself (for the types
        whose stored form LiuHen chooses: JSON text, booleans, times)."""
        if not isinstance(self.kind, (JSONText, Boolean, UTCDateTime)):
            return True
        try:
            written = self.dump(decoded) if self.dump else decoded
            return bool(written == value)
        except (ValueError, TypeError):
            return False


def _what(kind: Any) -> str:
    if isinstance(kind, JSONText):
        return "JSON "
    if isinstance(kind, UTCDateTime):
        return "时间"
    if isinstance(kind, Boolean):
        return "布尔值"
    if isinstance(kind, Integer):
        return "整数"
    if isinstance(kind, LargeBinary):
        return "二进制"
    return "文本"


def _short(value: Any) -> str:
    text = repr(bytes(value) if isinstance(value, memoryview) else value)
    return text if len(text) <= 60 else text[:57] + "…"


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False
