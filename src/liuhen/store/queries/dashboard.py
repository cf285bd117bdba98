"""The SQL of the dashboard: its counts, summed per group from ``dashboard_counts`` and
``dashboard_categories`` (kept up to date by ``summary_index``), a few hundred rows whatever
the number of cases; and the same shape for a handful of single cases (a reader's own cases
outside the part of the agency the counts are read for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from liuhen.store import tables as t
from liuhen.store.dashboard_counts import vector

dc = t.dashboard_counts
dcat = t.dashboard_categories
cs = t.case_summaries


@dataclass(frozen=True)
class Part:
    """Which groups to read: one agency (None: all), one section, one officer (None: the
    cases themselves; "*": every officer's share), the months "YYYY-MM" first and last."""

    agency_id: str | None
    section: str | None
    officer: str | None
    months: tuple[str, str]


@dataclass(frozen=True)
class Group:
    """Counts of one group: ``key`` is (agency, section, month, stage, procedure, officer)."""

    key: tuple[str, ...]
    counts: tuple[int, ...]


def _conditions(table: Any, part: Part) -> list[Any]:
    found = [table.c.month.between(*part.months)]
    if part.agency_id is not None:
        found.append(table.c.agency_id == part.agency_id)
    if part.section is not None:
        found.append(table.c.section == part.section)
    if part.officer is None:
        found.append(table.c.officer_id == "")
    elif part.officer == "*":
        found.append(table.c.officer_id != "")
    else:
        found.append(table.c.officer_id == part.officer)
    return found


def _key(row: Sequence[Any], by: Sequence[str]) -> tuple[str, ...]:
    """A group's full key from the columns grouped ``by`` (the others "")."""
    values = dict(zip(by, row, strict=False))
    return tuple(values.get(k, "") for k in t.DASHBOARD_KEY)


def groups(conn: Connection, part: Part, by: Sequence[str] = t.DASHBOARD_KEY) -> list[Group]:
    """The counts of ``part`` summed per distinct value of the key columns ``by`` (the other
    key positions are ""), groups without cases left out."""
    key = [dc.c[k] for k in by]
    sums = [func.sum(dc.c[f]) for f in t.DASHBOARD_FIELDS]
    query = select(*key, *sums).where(*_conditions(dc, part)).group_by(*key)
    query = query.having(func.sum(dc.c.cases) > 0)
    n = len(key)
    return [Group(_key(r, by), tuple(int(v) for v in r[n:])) for r in conn.execute(query).all()]


def categories(
    conn: Connection, part: Part, by: Sequence[str] = t.DASHBOARD_KEY
) -> list[tuple[tuple[str, ...], str, int]]:
    """(group key, category, violations) of ``part`` summed per ``by`` (non-zero only)."""
    key = [dcat.c[k] for k in by]
    query = (
        select(*key, dcat.c.category, func.sum(dcat.c.count))
        .where(*_conditions(dcat, part))
        .group_by(*key, dcat.c.category)
        .having(func.sum(dcat.c.count) != 0)
    )
    n = len(key)
    return [(_key(r, by), r[n], int(r[n + 1])) for r in conn.execute(query).all()]


def case_groups(
    conn: Connection, case_ids: Sequence[str]
) -> tuple[list[Group], list[tuple[tuple[str, ...], str, int]]]:
    """The same rows for single cases (their own shares), so they add up with ``groups``."""
    if not case_ids:
        return [], []
    rows = conn.execute(select(cs).where(cs.c.case_id.in_(case_ids))).mappings().all()
    officers: dict[str, list[str]] = {}
    for case_id, officer_id in conn.execute(
        select(t.summary_officers.c.case_id, t.summary_officers.c.officer_id).where(
            t.summary_officers.c.case_id.in_(case_ids)
        )
    ):
        officers.setdefault(case_id, []).append(officer_id)
    found: list[Group] = []
    cats: list[tuple[tuple[str, ...], str, int]] = []
    for row in rows:
        if row["contrib_at"] is None:
            continue
        share = vector(row)
        for officer in ("", *officers.get(row["case_id"], ())):
            key = (
                row["agency_id"],
                row["section"],
                row["month"],
                row["stage"],
                row["procedure"],
                officer,
            )
            found.append(Group(key, share))
            cats += [(key, c, int(n)) for c, n in (row["c_categories"] or {}).items()]
    return found, cats


def officer_names(conn: Connection, officer_ids: Sequence[str]) -> dict[str, str]:
    if not officer_ids:
        return {}
    query = select(t.officers.c.id, t.officers.c.name).where(t.officers.c.id.in_(officer_ids))
    return {officer_id: name for officer_id, name in conn.execute(query)}


def own_cases(
    conn: Connection,
    officer_id: str,
    agency_id: str | None,
    outside: str | None,
    months: tuple[str, str],
) -> list[str]:
    """The cases with ``officer_id`` on an act, of ``agency_id`` (None: any), opened within
    ``months``, and not of section ``outside`` (None: of any section)."""
    conditions: list[ColumnElement[bool]] = [
        cs.c.case_id.in_(
            select(t.summary_officers.c.case_id).where(
                t.summary_officers.c.officer_id == officer_id
            )
        ),
        cs.c.month.between(*months),
    ]
    if outside is not None:
        conditions.append(cs.c.section != outside)
    if agency_id is not None:
        conditions.append(cs.c.agency_id == agency_id)
    return [r[0] for r in conn.execute(select(cs.c.case_id).where(and_(*conditions)))]
