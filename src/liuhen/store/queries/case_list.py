"""The SQL of case lists: which cases a reader may see, filtered, searched, counted and paged
on the index of the case summaries (``case_summaries``' list columns, ``summary_officers``).

The permission rules stay in ``services/permissions``; they hand this module a ``Scope`` (plain
data: whose cases, which marks the reader's roles clear) and it writes the WHERE clause.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import combinations
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.engine import Dialect

from liuhen.rules.sources.summary_state import GRACE
from liuhen.store import tables as t
from liuhen.store.queries.binds import Bind, Kept, literal, parameter
from liuhen.store.queries.metrics import metric_clause
from liuhen.store.search import candidates, matches, search_shape, search_values

cs = t.case_summaries
so = t.summary_officers
bodies = t.case_summary_bodies


@dataclass(frozen=True)
class Scope:
    """Which cases a reader reaches: all of them (``everything``), or those of ``agency_id``
    (narrowed to ``section`` when given), and always their own (opened by ``user_id`` or with
    ``officer_id`` on an act). A case with confidentiality marks is reached only when it is
    their own or ``cleared`` holds each of its marks (``cleared`` None: every mark)."""

    everything: bool = False
    agency_id: str | None = None
    section: str | None = None
    user_id: str | None = None
    officer_id: str | None = None
    cleared: frozenset[str] | None = None


@dataclass(frozen=True)
class Filter:
    """What a list narrows to, besides the scope (every field optional)."""

    stage: str = ""
    procedure: str = ""
    problems: str = ""  # violations | pending | clean (as of now)
    q: str = ""
    agency_id: str | None = None
    section: str = ""
    officer_id: str = ""
    months: tuple[str, str] | None = None  # "YYYY-MM" first and last, of the opening
    metric: str = ""  # a dashboard figure (metric_clause)
    due_by: datetime | None = None  # an outstanding item falls due by then (and not yet)
    overdue: bool = False  # an outstanding item is overdue
    within: Scope | None = None  # a second scope the cases must be in (the dashboard's)


def statement_shape(scope: Scope, f: Filter, dialect: Dialect) -> tuple[Any, ...]:
    """What of ``scope`` and ``f`` decides the form of their statements built with
    ``parameter``: which of the scope's values are set, the filter but its words, and the
    words' ``search_shape``."""
    return (scope_shape(scope), replace(f, q=""), search_shape(f.q, dialect) if f.q else None)


def statement_values(scope: Scope, f: Filter, now: datetime, dialect: Dialect) -> dict[str, Any]:
    """The values of the parameters ``parameter`` names for ``scope`` and ``f`` as of
    ``now``: the scope's (``scope_values``), the moment due times have passed by, the
    search's pattern and index query."""
    return {**scope_values(scope), "passed": now - GRACE, **search_values(f.q, dialect)}


def scope_values(scope: Scope) -> dict[str, Any]:
    """The values of the parameters ``parameter`` names for ``scope`` (see ``reach``)."""
    return {
        "scope_agency": scope.agency_id,
        "scope_section": scope.section,
        "scope_user": scope.user_id,
        "scope_officer": scope.officer_id,
        "scope_marks": mark_sets(scope.cleared) if scope.cleared is not None else [],
    }


def scope_shape(scope: Scope) -> tuple[bool, ...]:
    """What of ``scope`` decides the form of its statements (which values are set)."""
    return (
        scope.everything,
        scope.agency_id is not None,
        scope.section is not None,
        scope.user_id is not None,
        scope.officer_id is not None,
        scope.cleared is not None,
    )


def own(scope: Scope, *, correlated: bool = False, bind: Bind = literal) -> ColumnElement[bool]:
    """The cases the scope's user opened or is an officer on: one ``IN`` over a union of two
    indexed look-ups (``created_by``, ``summary_officers.officer_id``), so the database
    reads those cases by key instead of testing every case of the agency. ``correlated``:
    tested per case instead (the opener, and the officer's row by its key), for a search
    the full-text index drives through a few candidates (building the ``IN`` list of an
    officer's 5,000 cases cost more than the whole search)."""
    user = bind("scope_user", scope.user_id)
    officer = bind("scope_officer", scope.officer_id)
    if correlated:
        tests: list[ColumnElement[bool]] = []
        if scope.user_id is not None:
            tests.append(cs.c.created_by == user)
        if scope.officer_id is not None:
            on_act = (so.c.case_id == cs.c.case_id) & (so.c.officer_id == officer)
            tests.append(exists().where(on_act))
        return or_(*tests) if tests else false()
    mine: list[Any] = []
    if scope.user_id is not None:
        mine.append(select(cs.c.case_id).where(cs.c.created_by == user))
    if scope.officer_id is not None:
        mine.append(select(so.c.case_id).where(so.c.officer_id == officer))
    if not mine:
        return false()
    return cs.c.case_id.in_(mine[0] if len(mine) == 1 else union_all(*mine))


def mark_sets(cleared: Iterable[str]) -> list[str]:
    """Every "|a|b|" text a case's marks may take and still be cleared ("" included)."""
    marks = sorted(set(cleared))
    found = [""]
    for n in range(1, len(marks) + 1):
        found += ["|" + "|".join(combo) + "|" for combo in combinations(marks, n)]
    return found


def reach(scope: Scope, *, correlated: bool = False, bind: Bind = literal) -> ColumnElement[bool]:
    """The scope as a condition on ``case_summaries`` (``correlated``: see ``own``; ``bind``:
    the scope's values as themselves or as the parameters of ``scope_values``)."""
    mine = own(scope, correlated=correlated, bind=bind)
    if scope.everything:
        reached: ColumnElement[bool] = true()
    elif scope.agency_id is not None:
        same = cs.c.agency_id == bind("scope_agency", scope.agency_id)
        if scope.section is not None:
            same = and_(same, cs.c.section == bind("scope_section", scope.section))
        reached = or_(same, mine)
    else:
        return mine  # the user's own cases: confidentiality marks never hide them
    if scope.cleared is None:
        return reached
    marks = bind("scope_marks", mark_sets(scope.cleared), expanding=True)
    return and_(reached, or_(cs.c.marks.in_(marks), mine))


def where(
    scope: Scope,
    f: Filter,
    now: datetime,
    conn: Connection,
    *,
    indexed: bool = True,
    correlated: bool = False,
    bind: Bind = literal,
) -> list[ColumnElement[bool]]:
    """Every condition of the scope and the filter (``indexed``: see ``search.matches``;
    ``correlated``: see ``own``; ``bind``: see ``reach``)."""
    conditions = narrowing(f, now, conn, indexed=indexed, bind=bind)
    return [reach(scope, correlated=correlated, bind=bind), *conditions]


def narrowing(
    f: Filter, now: datetime, conn: Connection, *, indexed: bool = True, bind: Bind = literal
) -> list[ColumnElement[bool]]:
    """Every condition of the filter (``bind``: the moment findings fall due by, ``passed``,
    and the search's words as themselves or as parameters, see ``statement_values``)."""
    found: list[ColumnElement[bool]] = []
    if f.agency_id is not None:
        found.append(cs.c.agency_id == f.agency_id)
    if f.stage:
        found.append(cs.c.stage == f.stage)
    if f.procedure:
        found.append(cs.c.procedure == f.procedure)
    readable = ~cs.c.unreadable
    passed = bind("passed", now - GRACE)  # a due time at or before this has passed (GRACE)
    if f.problems == "violations":
        found.append(and_(readable, or_(cs.c.violations > 0, cs.c.first_pending_due <= passed)))
    elif f.problems == "pending":
        found.append(and_(readable, or_(cs.c.pending_undated > 0, cs.c.last_pending_due > passed)))
    elif f.problems == "clean":
        found.append(and_(readable, cs.c.findings == 0))
    if f.q:
        found.append(matches(f.q, conn.dialect, indexed=indexed, bind=bind))
    if f.section:
        found.append(cs.c.section == f.section)
    if f.officer_id:
        found.append(cs.c.case_id.in_(select(so.c.case_id).where(so.c.officer_id == f.officer_id)))
    if f.months is not None:
        found.append(cs.c.month.between(*f.months))
    if f.metric:
        found.append(metric_clause(f.metric))
    if f.due_by is not None:
        found.append(and_(cs.c.c_next_due.is_not(None), cs.c.c_next_due <= f.due_by))
    if f.overdue:
        found.append(cs.c.c_oldest_overdue.is_not(None))
    if f.within is not None:
        found.append(reach(f.within))
    return found


ROW = (cs.c.case_id, cs.c.agency_id, bodies.c.summary)
"""A case with its whole summary (``case_summary_bodies``, joined by ``_source``)."""
LINE = (
    cs.c.case_id,
    cs.c.number,
    cs.c.title,
    cs.c.procedure,
    cs.c.stage,
    cs.c.opened_at,
    cs.c.party_name,
    cs.c.unreadable,
    cs.c.findings,
    cs.c.violations,
    cs.c.pending_dues,
    cs.c.c_overdue,
)
"""What one line of a case list shows, without the summary (its counts as of any moment
follow from ``findings``, ``violations`` and ``pending_dues``: ``line_counts``)."""


def line_counts(line: Any, now: datetime) -> tuple[int | None, int | None]:
    """(violations, pending) of a ``LINE`` row as of ``now``: pending findings whose due
    time has passed count as violations (as ``summary_state.state_at`` reads them)."""
    if line.unreadable:
        return None, None
    passed = now - GRACE
    late = sum(1 for due in line.pending_dues if datetime.fromisoformat(due) <= passed)
    violations = int(line.violations) + late
    return violations, int(line.findings) - violations


def source(columns: tuple[Any, ...]) -> Any:
    """What ``columns`` are read from: the index, joined to the summaries when they ask for
    one (a list line reads the index alone)."""
    if any(getattr(c, "table", None) is bodies for c in columns):
        return cs.join(bodies, bodies.c.case_id == cs.c.case_id)
    return cs


def search_drive(conn: Connection, scope: Scope, f: Filter, own_cases: int) -> str:
    """How a search of a reader who reaches only their own cases (``own_cases`` of them) is
    read: driven by the full-text index (``"matches"``) when it gives no more candidates in
    the whole store than the reader has cases, else by their own cases (``"own"``, each
    checked with ``LIKE``); "" for any other list (``page``)."""
    if not f.q or not own_only(scope):
        return ""
    return "matches" if candidates(conn, f.q, own_cases) <= own_cases else "own"


def own_only(scope: Scope) -> bool:
    """Whether the scope reaches only the reader's own cases."""
    return not scope.everything and scope.agency_id is None


def count(
    conn: Connection,
    scope: Scope,
    f: Filter,
    now: datetime,
    *,
    cap: int | None = None,
    drive: str = "",
) -> int:
    """How many cases match; with ``cap``, counted only up to ``cap + 1`` (a search for a
    word a fifth of a county's titles hold would otherwise read twenty thousand rows to say
    how many there are: the database stops at the first ``cap + 1`` it finds). ``drive``:
    see ``page`` (``"own"``: the reader's cases read from their indexes, each checked)."""
    query = COUNTS.get(
        (*statement_shape(scope, f, conn.dialect), cap is not None, drive),
        lambda: _count_statement(scope, f, now, conn, cap is not None, drive),
    )
    values = {**statement_values(scope, f, now, conn.dialect), "cap": (cap or 0) + 1}
    return int(conn.execute(query, values).scalar_one())


COUNTS = Kept()
"""``count``'s statements by the shape of what they count (see ``case_page.page``)."""


def _count_statement(
    scope: Scope, f: Filter, now: datetime, conn: Connection, capped: bool, drive: str
) -> Any:
    """``count``'s statement, its values the parameters of ``statement_values`` and
    ``cap``."""
    if drive == "own":
        conditions = narrowing(f, now, conn, indexed=False, bind=parameter)
        found = _own_ids(scope, conditions, parameter)
    else:
        correlated = drive == "matches"
        found = select(cs.c.case_id).where(
            *where(scope, f, now, conn, correlated=correlated, bind=parameter)
        )
    if capped:
        found = found.limit(parameter("cap", None, type_=Integer))
    return select(func.count()).select_from(found.subquery())


def _own_ids(scope: Scope, conditions: list[ColumnElement[bool]], bind: Bind = literal) -> Any:
    """The ids of the reader's own cases that meet ``conditions``, without repeats."""
    parts = [ids for ids, _, _ in own_sources(scope, conditions, bind)]
    if not parts:
        return select(cs.c.case_id).where(false())
    return parts[0] if len(parts) == 1 else union(*parts)


def own_sources(
    scope: Scope, conditions: list[ColumnElement[bool]], bind: Bind = literal
) -> list[tuple[Any, Any, Any]]:
    """(ids, opening time, number) of each index a reader's own cases that meet
    ``conditions`` are read from: those they are an officer on (``summary_officers``, which
    carries the case's opening time and number: joined to the case only for ``conditions``)
    and those they opened (``created_by``)."""
    found: list[tuple[Any, Any, Any]] = []
    if scope.officer_id is not None:
        officer = select(so.c.case_id)
        if conditions:  # else the index alone answers
            officer = officer.select_from(so.join(cs, cs.c.case_id == so.c.case_id))
        officer_id = bind("scope_officer", scope.officer_id)
        officer = officer.where(so.c.officer_id == officer_id, *conditions)
        found.append((officer, so.c.opened_at, so.c.number))
    if scope.user_id is not None:
        user_id = bind("scope_user", scope.user_id)
        opened = select(cs.c.case_id).where(cs.c.created_by == user_id, *conditions)
        found.append((opened, cs.c.opened_at, cs.c.number))
    return found


def total_overdue(conn: Connection, scope: Scope, f: Filter, now: datetime) -> int:
    """How many outstanding items of the cases are overdue (as of their swept shares)."""
    query = select(func.coalesce(func.sum(cs.c.c_overdue), 0)).where(*where(scope, f, now, conn))
    return int(conn.execute(query).scalar_one())


def rows_of(conn: Connection, case_ids: Iterable[str]) -> dict[str, Any]:
    """Case id -> ``ROW`` (case_id, agency_id, summary) of those cases, read by key."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return {}
    return {r[0]: r for r in conn.execute(_ROWS_OF, {"case_ids": wanted})}


_ROWS_OF = (
    select(*ROW)
    .select_from(source(ROW))
    .where(cs.c.case_id.in_(bindparam("case_ids", expanding=True)))
)


def ids(conn: Connection, scope: Scope, f: Filter, now: datetime) -> list[str]:
    return [r[0] for r in conn.execute(select(cs.c.case_id).where(*where(scope, f, now, conn)))]
