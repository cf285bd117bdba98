"""The dashboard's counts: one case's share of them (``vector``, from its row of the
summaries' index), changes summed per group before they are written (``Deltas``), and a
generation bumped with every change, so readers may keep what they built from the counts
until it moves. ``summary_index`` writes through here; ``queries/dashboard`` reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, Connection, Text, cast, select

from liuhen.store import tables as t
from liuhen.store.upsert import insert

GENERATION = "dashboard_generation"  # derived_settings: bumped whenever the counts change


def vector(row: Mapping[Any, Any]) -> tuple[int, ...]:
    """One case's share of every count in ``DASHBOARD_FIELDS``, from its row's columns."""
    if row["unreadable"]:
        return (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
    needed, have, late, overdue = (
        row["av_needed"],
        row["av_have"],
        row["c_av_late"],
        row["c_overdue"],
    )
    return (
        1,
        needed,
        have,
        int(needed > have),
        row["av_total"] - row["c_av_waiting"],
        late,
        int(late > 0),
        int(row["c_case_file"] == "on_time"),
        int(row["c_case_file"] == "late"),
        row["c_violations"],
        int(row["c_violations"] > 0),
        int(overdue > 0),
        overdue,
        0,
    )


def group_key(row: Mapping[Any, Any], officer_id: str = "") -> tuple[str, ...]:
    return (
        row["agency_id"],
        row["section"],
        row["month"],
        row["stage"],
        row["procedure"],
        officer_id,
    )


class Deltas:
    """Changes to the dashboard's counts, summed per group before they are written."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, ...], list[int]] = defaultdict(
            lambda: [0] * len(t.DASHBOARD_FIELDS)
        )
        self.categories: dict[tuple[str, ...], int] = defaultdict(int)

    def add(self, row: Mapping[Any, Any], officers: Iterable[str], sign: int) -> None:
        """Add (``sign`` 1) or take out (-1) a row's share; a row with no share yet adds
        nothing."""
        if row["contrib_at"] is None:
            return
        share = vector(row)
        cats = row["c_categories"] or {}
        for officer in ("", *officers):
            key = group_key(row, officer)
            acc = self.counts[key]
            for i, n in enumerate(share):
                acc[i] += sign * n
            for category, n in cats.items():
                self.categories[(*key, category)] += sign * int(n)

    def write(self, conn: Connection) -> None:
        """Upsert every non-zero change, in key order (two writers lock rows in one order)."""
        names = (*t.DASHBOARD_KEY, *t.DASHBOARD_FIELDS)
        counts = [
            dict(zip(names, (*key, *values), strict=True))
            for key, values in sorted(self.counts.items())
            if any(values)
        ]
        cats = [
            dict(zip((*t.DASHBOARD_KEY, "category", "count"), (*key, n), strict=True))
            for key, n in sorted(self.categories.items())
            if n
        ]
        _add(conn, t.dashboard_counts, counts, t.DASHBOARD_KEY, t.DASHBOARD_FIELDS)
        _add(conn, t.dashboard_categories, cats, (*t.DASHBOARD_KEY, "category"), ("count",))
        self.counts.clear()
        self.categories.clear()
        if counts or cats:
            bump(conn)


def bump(conn: Connection) -> None:
    """Count one more change of the dashboard's counts (readers may cache until then)."""
    ds = t.derived_settings
    stmt = insert(conn, ds).values(name=GENERATION, value="1")
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"], set_={"value": cast(cast(ds.c.value, BigInteger) + 1, Text)}
        )
    )


def generation(conn: Connection) -> int:
    """How many times the dashboard's counts have changed (0: never)."""
    return int(conn.execute(_GENERATION).scalar() or 0)


_GENERATION = select(t.derived_settings.c.value).where(t.derived_settings.c.name == GENERATION)


def _add(
    conn: Connection,
    table: Any,
    rows: list[dict[str, Any]],
    key: Sequence[str],
    fields: Sequence[str],
) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET field = field + new (SQLite ≥ 3.24, PostgreSQL)."""
    if not rows:
        return
    stmt = insert(conn, table)
    upsert = stmt.on_conflict_do_update(
        index_elements=list(key), set_={f: table.c[f] + stmt.excluded[f] for f in fields}
    )
    conn.execute(upsert, rows)
