"""The ledger's events read as ``liuhen verify`` must read them, a million at a time.

``raw_rows`` decodes every cell with its column type and checks that LiuHen would have
written exactly that cell: right for a damaged row, and about 25 µs an event. Nearly every
event is exactly as written, so a reader first asks ``plain_time`` (every cell of the exact
type LiuHen writes, the time in the one form it is stored in; the four digests it compares
with the ones it computes) and ``canonical_payload`` (the payload JSON without a float and equal to its own
canonical text): a row that passes both is one the cell-by-cell decoders pass too. Any row
that does not is decoded cell by cell (``LedgerReading.decode``), so a damaged row is
reported exactly as before.

Rows are read in pages of ``page`` events by key (``seq > last``) on the driver's own
cursor, so memory stays flat whatever the size of the ledger (PostgreSQL's driver buffers
a whole result), all in one snapshot (a read transaction on SQLite; ``REPEATABLE READ`` on
PostgreSQL), with the newest signed size before them and the head after them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from liuhen.ledger.canonical import plain_json_text
from liuhen.store import tables as t
from liuhen.store.raw_rows import (
    RawRow,
    column_list,
    param_mark,
    quoted,
    raw_rows,
    row_decoder,
)

PAGE = 5000
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _refuse(_text: str) -> Any:
    raise ValueError("not a value LiuHen writes")


_DECODER = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse)
_COLUMNS = tuple(c.name for c in t.ledger_events.columns)
assert _COLUMNS == (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "subject_type", "subject_id",
    "case_id", "payload", "payload_digest", "prev_hash", "chain_hash", "leaf_hash",
)  # fmt: skip


class LedgerReading:
    """The ledger read in one snapshot (``Store.snapshot``): the newest signed size, the
    events page by page as the driver returns them, each checked or decoded on demand,
    and the head."""

    def __init__(
        self, conn: Connection, page: int | None = None, signed: int | None = None
    ) -> None:
        self._conn = conn
        self.page = page or PAGE
        """Events a page at most."""
        dialect = conn.dialect
        self.sqlite = dialect.name == "sqlite"
        self.decode = row_decoder(t.ledger_events, dialect)
        """A fetched event decoded cell by cell (``raw_rows``): what a damaged row needs."""
        if signed is None:
            signed = conn.exec_driver_sql("SELECT MAX(tree_size) FROM checkpoints").scalar()
        self.signed = signed if type(signed) is int else 0
        """The newest signed checkpoint's size, read before the events (0 when none), or
        the one given (a helper process reads as the reading that started it read)."""

    @property
    def plain_types(self) -> frozenset[tuple[type, ...]]:
        """The cell types of a row LiuHen wrote, as this database's driver returns them."""
        return _SQLITE_TYPES if self.sqlite else _PG_TYPES

    def pages(
        self, low: int | None = None, high: int | None = None, *, after: bool = False
    ) -> Generator[Sequence[Any], None, None]:
        """Every event as fetched (the columns of ``ledger_events`` in order), by ``seq``, a
        page (at most ``page`` rows, as the driver returns them) at a time; only those with
        ``low <= seq < high`` when given (``low < seq`` when ``after``): the events of one
        range, in the order the whole ledger is read in. On PostgreSQL the rows come in
        binary (the same Python values as text, decoded for less) and the next page is
        fetched by a thread while the caller checks this one: the server's work and the
        network wait (psycopg releases the GIL there) overlap the caller's."""
        dialect = self._conn.dialect
        mark = param_mark(dialect)
        table = quoted(dialect, "ledger_events")
        head = f"SELECT {column_list(dialect, t.ledger_events)} FROM {table}"
        seq, limit = quoted(dialect, "seq"), int(self.page)
        order = f"ORDER BY {seq} LIMIT {limit}"
        lower = [] if low is None else [(f"{seq} {'>' if after else '>='} {mark}", low)]
        upper = [] if high is None else [(f"{seq} < {mark}", high)]
        first, following = (
            _where(f"{head} WHERE", [*lower, *upper], order),
            _where(f"{head} WHERE {seq} > {mark} AND", upper, order),
        )
        dbapi = self._conn.connection
        cursor = dbapi.cursor() if self.sqlite else dbapi.cursor(binary=True)

        def fetch(last: tuple[Any, ...]) -> list[Any]:
            if last:
                cursor.execute(following[0], last + following[1])
            elif first[1]:
                cursor.execute(*first)
            else:
                cursor.execute(first[0])
            return list(cursor.fetchall())

        ahead = None if self.sqlite else ThreadPoolExecutor(1, "liuhen-verify-fetch")
        try:
            rows = fetch(())
            while rows:
                last = (rows[-1][0],) if len(rows) == limit else ()
                coming = ahead.submit(fetch, last) if ahead is not None and last else None
                yield rows
                if not last:
                    return
                rows = coming.result() if coming is not None else fetch(last)
        finally:
            if ahead is not None:
                ahead.shutdown(wait=True, cancel_futures=True)  # nothing runs on the cursor now
            cursor.close()

    def plain_time(self, fetched: tuple[Any, ...]) -> str | None:
        """The event's time as UTC ISO 8601 text (what its bytes hold: ``event_bytes``) when
        every cell is of the exact type LiuHen writes and its time in the one form it is
        stored in: then the cell-by-cell decoders would find nothing in the row but its
        payload (``canonical_payload`` checks that) and its four digests, which the caller
        compares with digests it computes (equal to one, a cell is 64 lowercase hex digits).
        None for any other row: ``decode`` it."""
        if tuple(map(type, fetched)) not in (_SQLITE_TYPES if self.sqlite else _PG_TYPES):
            return None
        return _time(fetched[1], self.sqlite)

    def heads(self) -> list[RawRow]:
        """The rows of the ledger's head (normally exactly one), cell by cell."""
        return list(raw_rows(self._conn, t.ledger_head, order_by="id"))

    def extent(self) -> int:
        """The newest seq + 1: how many events the ledger holds when it is whole (0 when
        there is none, or the newest seq is not an integer). Read by its key's last entry:
        a count reads them all (a second at a million on PostgreSQL)."""
        seq, table = quoted(self._conn.dialect, "seq"), quoted(self._conn.dialect, "ledger_events")
        newest = self._conn.exec_driver_sql(f"SELECT MAX({seq}) FROM {table}").scalar()
        return newest + 1 if type(newest) is int and newest >= 0 else 0

    def chain_before(self, seq: int) -> str | None:
        """The chain hash stored in event ``seq - 1`` (None: no such event, or not text)."""
        dialect = self._conn.dialect
        mark = param_mark(dialect)
        table, key = quoted(dialect, "ledger_events"), quoted(dialect, "seq")
        cursor = self._conn.connection.cursor()
        try:
            cursor.execute(f"SELECT chain_hash FROM {table} WHERE {key} = {mark}", (seq - 1,))
            found = cursor.fetchall()
        finally:
            cursor.close()
        return found[0][0] if len(found) == 1 and type(found[0][0]) is str else None

    def export_snapshot(self) -> str | None:
        """An id another connection can read this snapshot by (PostgreSQL's
        ``pg_export_snapshot``, valid while this reading's transaction is open); None on
        SQLite, which has none: there a second connection reads the events below the newest
        when this one began, which are written once and never change (and so on a standby,
        which cannot export one)."""
        if self.sqlite or self._conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar():
            return None  # a standby exports none
        exported = self._conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        return exported if isinstance(exported, str) else None


def _where(head: str, conditions: list[tuple[str, int]], tail: str) -> tuple[str, tuple[int, ...]]:
    """``head`` (ending ``WHERE`` or ``AND``) with ``conditions`` and their values, or
    without its last word when there are none."""
    if not conditions:
        return f"{head.rsplit(' ', 1)[0]} {tail}", ()
    return f"{head} {' AND '.join(c for c, _ in conditions)} {tail}", tuple(
        v for _, v in conditions
    )


def canonical_payload(text: str) -> Any:
    """The payload a cell holds when it is exactly the JSON LiuHen writes (no float, its
    own canonical text, what the cell-by-cell decoder passes); else ``ValueError``."""
    try:
        decoded = _DECODER.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if plain_json_text(decoded) != text:
        raise ValueError("not in canonical form")
    return decoded


def payload_of(text: str) -> Any:
    """The payload of a cell already known to be canonical (``canonical_payload``)."""
    return _DECODER.decode(text)


def _types(time: type) -> frozenset[tuple[type, ...]]:
    """Every tuple of cell types an event LiuHen wrote has (``actor_id`` and ``case_id``
    may be NULL)."""
    return frozenset(
        (int, time, actor, str, str, str, str, case, str, str, str, str, str)
        for actor in (str, type(None))
        for case in (str, type(None))
    )


_SQLITE_TYPES = _types(str)
_PG_TYPES = _types(datetime)


def _time(value: Any, sqlite: bool) -> str | None:
    if sqlite:
        if not _SQLITE_TIME.fullmatch(value):
            return None
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return None
        fraction = "" if value.endswith(".000000") else value[19:]
        return f"{value[:10]}T{value[11:19]}{fraction}+00:00"
    return utc_text(value)


def utc_text(when: datetime) -> str | None:
    """A PostgreSQL event time as its bytes hold it (UTC ISO 8601); None when naive. A time
    already at offset zero (the driver gives every time in the session's zone: UTC on a
    server set so) is written as it is, without a conversion to UTC that changes nothing."""
    offset = when.utcoffset()
    if offset is None:
        return None
    return when.isoformat() if not offset else when.astimezone(UTC).isoformat()
