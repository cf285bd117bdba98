"""Counting the SQL one request runs: statements and connections, through SQLAlchemy's events.

    with count_statements(store.engine) as counted:
        client.post(f"/cases/{case}/acts/new", data=...)
    counted.assert_at_most(25, "record an act")

``counted.statements`` lists every statement the engine sent (parameters left out), in order,
with the table names it reads or writes; a failed budget prints them all, so whoever broke
it sees the loop that did. Transaction control (SQLite's ``BEGIN IMMEDIATE``; PostgreSQL's
driver begins without a statement) is listed but not counted, so both engines count alike:
the connections say how many transactions there were. Work on the background job thread (a 四性检测 the request queued)
is not the request's and is left out, as are the driver's own pings.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

BACKGROUND_THREADS = ("liuhen-jobs", "liuhen-fixity")
"""Threads whose statements are not the request's (their names start with these)."""

_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_TABLE = re.compile(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+"?([a-z_][a-z0-9_]*)"?', re.IGNORECASE)


@dataclass
class Statement:
    sql: str
    thread: str

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.lower() for m in _TABLE.findall(self.sql)))

    @property
    def control(self) -> bool:
        """Transaction control, not work (not counted)."""
        return bool(_CONTROL.match(self.sql))

    def short(self, width: int = 160) -> str:
        one_line = " ".join(self.sql.split())
        return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


@dataclass
class Counted:
    """What ran while the block was open."""

    statements: list[Statement] = field(default_factory=list)
    connections: int = 0
    excluded: tuple[str, ...] = BACKGROUND_THREADS

    @property
    def work(self) -> list[Statement]:
        """The statements that count (all but transaction control)."""
        return [s for s in self.statements if not s.control]

    @property
    def count(self) -> int:
        return len(self.work)

    def touching(self, table: str) -> list[Statement]:
        """The statements that read or write ``table``."""
        return [s for s in self.work if table in s.tables]

    def by_table(self) -> Counter[str]:
        return Counter(name for s in self.work for name in s.tables)

    def report(self, title: str = "") -> str:
        """Every statement in order, then the tables most often touched: what a developer
        needs to see which loop ran a query per row."""
        lines = [f"{title}: {self.count} statements over {self.connections} connections"]
        n = 0
        for s in self.statements:
            if s.control:
                lines.append(f"       ({s.short()})")
            else:
                n += 1
                lines.append(f"  {n:3d}. {s.short()}")
        common = ", ".join(f"{name}×{n}" for name, n in self.by_table().most_common(8))
        lines.append(f"  tables: {common}")
        return "\n".join(lines)

    def assert_at_most(
        self, budget: int, title: str = "request", *, connections: int | None = None
    ) -> None:
        """At most ``budget`` statements (and ``connections`` checkouts, when given)."""
        assert self.count <= budget, f"over budget ({self.count} > {budget})\n" + self.report(title)
        if connections is not None:
            assert self.connections <= connections, (
                f"too many connections ({self.connections} > {connections})\n" + self.report(title)
            )

    def assert_reads_once(self, tables: Iterable[str], title: str = "request") -> None:
        """Each of ``tables`` is read at most once (the permission check's load is the one)."""
        twice = {name: len(self.touching(name)) for name in tables}
        twice = {name: n for name, n in twice.items() if n > 1}
        assert not twice, f"read more than once: {twice}\n" + self.report(title)


def _counts(thread: threading.Thread, excluded: tuple[str, ...]) -> bool:
    return not thread.name.startswith(excluded)


@contextmanager
def count_statements(
    engine: Engine, *, excluded: tuple[str, ...] = BACKGROUND_THREADS
) -> Iterator[Counted]:
    """Count the statements ``engine`` sends and the connections it checks out of its pool
    while the block runs (every thread but the background ones in ``excluded``)."""
    counted = Counted(excluded=excluded)
    lock = threading.Lock()

    def on_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        thread = threading.current_thread()
        if _counts(thread, excluded):
            with lock:
                counted.statements.append(Statement(statement, thread.name))

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if _counts(threading.current_thread(), excluded):
            with lock:
                counted.connections += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkout", on_checkout)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine.pool, "checkout", on_checkout)
