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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from liuhen.ledger.canonical import plain_json_text
from liuhen.store import tables as t
from liuhen.store.raw_rows import RawRow, column_list, quoted, raw_rows, row_decoder

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

    def __init__(self, conn: Connection, page: int | None = None) -> None:
        self._conn = conn
        self._page = page or PAGE
        dialect = conn.dialect
        self.sqlite = dialect.name == "sqlite"
        self.decode = row_decoder(t.ledger_events, dialect)
        """A fetched event decoded cell by cell (``raw_rows``): what a damaged row needs."""
        signed = conn.exec_driver_sql("SELECT MAX(tree_size) FROM checkpoints").scalar()
        self.signed = signed if type(signed) is int else 0
        """The newest signed checkpoint's size, read before the events (0 when none)."""

    @property
    def plain_types(self) -> frozenset[tuple[type, ...]]:
        """The cell types of a row LiuHen wrote, as this database's driver returns them."""
        return _SQLITE_TYPES if self.sqlite else _PG_TYPES

    def pages(self) -> Iterator[Sequence[Any]]:
        """Every event as fetched (the columns of ``ledger_events`` in order), by ``seq``, a
        page (at most ``page`` rows, as the driver returns them) at a time. On PostgreSQL the
        rows come in binary (the same Python values as text, decoded for less) and the next
        page is fetched by a thread while the caller checks this one: the server's work and
        the network wait (psycopg releases the GIL there) overlap the caller's."""
        dialect = self._conn.dialect
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        table = quoted(dialect, "ledger_events")
        head = f"SELECT {column_list(dialect, t.ledger_events)} FROM {table}"
        seq, limit = quoted(dialect, "seq"), int(self._page)
        first, after = (
            f"{head} ORDER BY {seq} LIMIT {limit}",
            f"{head} WHERE {seq} > {mark} ORDER BY {seq} LIMIT {limit}",
        )
        dbapi = self._conn.connection
        cursor = dbapi.cursor() if self.sqlite else dbapi.cursor(binary=True)

        def fetch(last: tuple[Any, ...]) -> list[Any]:
            if last:
                cursor.execute(after, last)
            else:
                cursor.execute(first)
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
