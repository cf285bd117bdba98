"""The derived index of case summaries: what lists read, and the dashboard's counts.

``case_summary_bodies`` holds each case's summary (JSON, computed by
``services/cases/summaries``) and ``case_summaries`` its index row. Whenever one is written,
``write`` keeps beside it, in the same transaction:

- the columns lists filter, sort, count and search on (number, title, party, stage, opening
  time and month, who opened it, confidentiality marks, how many findings and when pending
  ones fall due, search terms): these do not change with time;
- the case's officers (``summary_officers``: whose own case it is) and its footage still to
  store per officer (``footage_due``);
- the case's share of the dashboard's counts *as of* ``contrib_at`` (the ``c_*`` columns),
  valid until ``c_until`` (the next pending deadline to pass), and the counts themselves,
  summed per agency, section, month, stage, procedure and officer in ``dashboard_counts``
  and ``dashboard_categories``: the old share is taken out, the new one put in.

Deadlines pass with nobody writing: ``sweep`` (run before the counts are read) recomputes the
shares whose ``c_until`` has passed, from their stored summary, so the counts are right at
read time without reading every case. A share computed for a moment more than ``SLACK``
ahead of the reader's clock (a test clock set back) is recomputed too.

Everything here is derived: ``rebuild`` recomputes all of it from the summaries (migration
0007 runs it; so does a change of the time zone that decides a case's month).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    delete,
    exists,
    literal_column,
    or_,
    select,
    update,
)

from liuhen.store import tables as t
from liuhen.store.dashboard_counts import Deltas, bump
from liuhen.store.summary_columns import (
    INBOX_COPIES,
    INDEX_COLUMNS,
    SHARE_COLUMNS,
    SORT_KEYS,
    footage_rows,
    index_columns,
    share_columns,
)
from liuhen.store.types import JSONText
from liuhen.store.unit import lock_ledger_head
from liuhen.store.upsert import insert, insert_ignoring, insert_new

SLACK = timedelta(minutes=1)
TIMEZONE = "dashboard_timezone"  # derived_settings: the zone months were cut in

cs = t.case_summaries
bodies = t.case_summary_bodies
WITH_BODY = cs.join(bodies, bodies.c.case_id == cs.c.case_id)
"""An index row with its summary (``bodies.c.summary``): for the few reads that need both."""


def _for_update(query: Any, conn: Connection, of: Any = None) -> Any:
    """Lock the rows read (PostgreSQL; of the table ``of`` only, when given); SQLite's writer
    already holds the database lock."""
    if conn.dialect.name != "postgresql":
        return query
    return query.with_for_update(of=of) if of is not None else query.with_for_update()


def _officers(conn: Connection, case_ids: Sequence[str]) -> dict[str, list[str]]:
    """Case id -> the officers recorded on any of its acts (the permission check's view)."""
    found: dict[str, set[str]] = defaultdict(set)
    for case_id, officer_ids in conn.execute(
        select(t.acts.c.case_id, t.acts.c.officer_ids).where(t.acts.c.case_id.in_(case_ids))
    ):
        found[case_id].update(officer_ids or ())
    return {case_id: sorted(ids) for case_id, ids in found.items()}


def _stored_officers(conn: Connection, case_ids: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for case_id, officer_id in conn.execute(
        select(t.summary_officers.c.case_id, t.summary_officers.c.officer_id)
        .where(t.summary_officers.c.case_id.in_(case_ids))
        .order_by(t.summary_officers.c.officer_id)
    ):
        found[case_id].append(officer_id)
    return found


_UPDATE = (
    update(cs)
    .where(cs.c.case_id == bindparam("key"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "agency_id",
                "section",
                "stage",
                "source_seq",
                "computed_at",
                *INDEX_COLUMNS,
                *SHARE_COLUMNS,
            )
        }
    )
)
_UPDATESHARE_COLUMNS = (
    update(cs)
    .where(cs.c.case_id == bindparam("key"))
    .values({name: bindparam(name) for name in SHARE_COLUMNS})
)


def _case_facts(conn: Connection, ids: Sequence[str]) -> dict[str, Row[Any, Any, Any]]:
    """Who opened each case and its confidentiality marks (index columns need them)."""
    return {
        r.id: r
        for r in conn.execute(
            select(t.cases.c.id, t.cases.c.created_by, t.cases.c.confidentiality).where(
                t.cases.c.id.in_(ids)
            )
        )
    }


def fill_copies(
    conn: Connection,
    case_ids: Sequence[str] | None = None,
    columns: Sequence[str] = (*SORT_KEYS, *INBOX_COPIES),
) -> None:
    """Copy the cases' ``columns`` into their ``summary_officers`` rows (all rows when
    ``case_ids`` is None), from the ``case_summaries`` rows already written: one
    ``UPDATE … FROM`` (SQLite 3.33 and later, PostgreSQL)."""
    so = t.summary_officers
    query = (
        update(so)
        .values({name: cs.c[name] for name in columns})
        .where(so.c.case_id == cs.c.case_id)
    )
    if case_ids is not None:
        query = query.where(so.c.case_id.in_(list(case_ids)))
    conn.execute(query)


def _replace_officers_and_due(
    conn: Connection,
    written: list[str],
    officers: Mapping[str, Sequence[str]],
    summaries: Mapping[str, Mapping[str, Any]],
) -> None:
    """The written cases' officer rows and footage deadlines, deleted and inserted anew:
    under the lock of the cases' summary rows (``write``), so no other writer's rows are
    between the two."""
    conn.execute(delete(t.summary_officers).where(t.summary_officers.c.case_id.in_(written)))
    conn.execute(delete(t.footage_due).where(t.footage_due.c.case_id.in_(written)))
    pairs = [{"case_id": c, "officer_id": o} for c in written for o in officers.get(c, ())]
    if pairs:
        insert_ignoring(conn, t.summary_officers, pairs)
        fill_copies(conn, written)
    due = [row for c in written for row in footage_rows(c, summaries[c])]
    insert_ignoring(conn, t.footage_due, due)


def write(
    conn: Connection,
    items: Sequence[tuple[str, str, Mapping[str, Any], int]],
    *,
    now: datetime,
    tz: tzinfo,
) -> int:
    """Store summaries ``(case_id, agency_id, summary, source_seq)`` with their index, their
    officers and their share of the dashboard, in the caller's write transaction; a summary
    older than the one stored (a newer one was written meanwhile) is left out. Returns how
    many were written. Two processes may write one case's summary at once (two readers of
    the case list): a stored row is locked before it is read, a new one is inserted unless
    the other got there first (then it is locked and read), so each takes the other's share
    out of the counts and nothing is inserted twice."""
    ids = sorted({item[0] for item in items})
    if not ids:
        return 0
    facts = _case_facts(conn, ids)
    old_rows = _locked(conn, ids)
    officers = _officers(conn, ids)
    rows = {
        case_id: _row(case_id, agency_id, summary, seq, facts[case_id], now=now, tz=tz)
        for case_id, agency_id, summary, seq in sorted(items, key=lambda item: item[0])
    }
    summaries = {case_id: row.pop("summary") for case_id, row in rows.items()}
    inserted = insert_new(conn, cs, [r for c, r in rows.items() if c not in old_rows], "case_id")
    raced = [c for c in rows if c not in old_rows and c not in inserted]
    if raced:
        old_rows.update(_locked(conn, raced))
    old_officers = _stored_officers(conn, [c for c in rows if c not in inserted])
    deltas = Deltas()
    updates: list[dict[str, Any]] = []
    for case_id, row in rows.items():
        old = old_rows.get(case_id)
        if case_id not in inserted:
            if old is None or old["source_seq"] > row["source_seq"]:
                continue
            deltas.add(old, old_officers.get(case_id, ()), -1)
            updates.append({"key": case_id, **{k: v for k, v in row.items() if k != "case_id"}})
        deltas.add(row, officers.get(case_id, ()), 1)
    written = [r["key"] for r in updates] + sorted(inserted)
    if updates:
        conn.execute(_UPDATE, updates)
    _store_bodies(conn, {case_id: summaries[case_id] for case_id in written})
    if written:
        _replace_officers_and_due(conn, written, officers, {i[0]: i[2] for i in items})
    deltas.write(conn)
    return len(written)


def _store_bodies(conn: Connection, summaries: Mapping[str, Mapping[str, Any]]) -> None:
    """Each written case's summary, inserted or replaced (under its index row's lock)."""
    if not summaries:
        return
    rows = [{"case_id": c, "summary": s} for c, s in sorted(summaries.items())]
    stmt = insert(conn, bodies)
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_id"], set_={"summary": stmt.excluded.summary}
    )
    conn.execute(stmt, rows)


def _locked(conn: Connection, ids: Sequence[str]) -> dict[str, Any]:
    """The stored summary rows of ``ids``, locked for the rest of the transaction."""
    query = _for_update(select(cs).where(cs.c.case_id.in_(ids)).order_by(cs.c.case_id), conn)
    return {r["case_id"]: r for r in conn.execute(query).mappings().all()}


def _row(
    case_id: str,
    agency_id: str,
    summary: Mapping[str, Any],
    seq: int,
    fact: Row[Any, Any, Any],
    *,
    now: datetime,
    tz: tzinfo,
) -> dict[str, Any]:
    """The ``case_summaries`` row of one summary, with its index and share columns."""
    return {
        "case_id": case_id,
        "agency_id": agency_id,
        "section": summary.get("section", ""),
        "stage": summary.get("stage") or "initiation",
        "summary": {k: v for k, v in summary.items() if k not in ("id", "agency_id")},
        "source_seq": seq,
        "computed_at": now,
        **index_columns(
            summary, created_by=fact.created_by, confidentiality=fact.confidentiality, tz=tz
        ),
        **share_columns(summary, now),
    }


def _due(now: datetime) -> Any:
    return or_(cs.c.contrib_at.is_(None), cs.c.c_until <= now, cs.c.contrib_at > now + SLACK)


def sweep_needed(conn: Connection, now: datetime) -> bool:
    """Some case's share of the dashboard no longer holds at ``now``: one indexed look per
    reason (an ``OR`` of the three in one ``WHERE`` read every row when none matched)."""
    reasons = (cs.c.contrib_at.is_(None), cs.c.c_until <= now, cs.c.contrib_at > now + SLACK)
    return bool(conn.execute(select(or_(*(exists().where(r) for r in reasons)))).scalar())


def sweep(conn: Connection, now: datetime, batch: int = 2000) -> int:
    """Bring every share that no longer holds up to ``now`` (in the caller's write
    transaction); returns how many cases it recomputed."""
    done = 0
    while True:
        due = select(cs, bodies.c.summary).select_from(WITH_BODY).where(_due(now))
        query = _for_update(due.order_by(cs.c.case_id).limit(batch), conn, of=cs)
        rows = conn.execute(query).mappings().all()
        if not rows:
            return done
        officers = _stored_officers(conn, [r["case_id"] for r in rows])
        deltas = Deltas()
        changes = []
        for row in rows:
            deltas.add(row, officers.get(row["case_id"], ()), -1)
            share = share_columns(row["summary"], now)
            deltas.add({**row, **share}, officers.get(row["case_id"], ()), 1)
            changes.append({"key": row["case_id"], **share})
        conn.execute(_UPDATESHARE_COLUMNS, changes)
        fill_copies(conn, [r["case_id"] for r in rows], INBOX_COPIES)
        deltas.write(conn)
        done += len(rows)


def stored_timezone(conn: Connection) -> str | None:
    return conn.execute(
        select(t.derived_settings.c.value).where(t.derived_settings.c.name == TIMEZONE)
    ).scalar()


def hold_for_rebuild(conn: Connection) -> None:
    """Lock the ledger's head (a row always there) until the caller's transaction ends, so
    that processes which all found the index to rebuild do it one after another, each
    checking again under the lock (a rebuild deletes and re-inserts every derived row: two
    at once on PostgreSQL counted each case once per process on the dashboard)."""
    lock_ledger_head(conn)


def rebuild(
    conn: Connection,
    *,
    tz: tzinfo,
    tz_name: str,
    now: datetime,
    footage: bool = True,
    sort_keys: bool = True,
    bodies_table: bool = True,
) -> int:
    """Recompute every summary's index columns, officers and share, and the dashboard's
    counts from them (in the caller's write transaction); returns the number of cases.
    ``footage`` False leaves ``footage_due`` alone (migration 0007 runs before it exists),
    ``sort_keys`` False the officers' copies of the case's columns (before 0011),
    ``bodies_table`` False reads the summaries from ``case_summaries.summary`` (before 0017)."""
    conn.execute(delete(t.dashboard_counts))
    conn.execute(delete(t.dashboard_categories))
    conn.execute(delete(t.summary_officers))
    if footage:
        conn.execute(delete(t.footage_due))
    ids = [r[0] for r in conn.execute(select(cs.c.case_id).order_by(cs.c.case_id))]
    deltas = Deltas()
    for first in range(0, len(ids), 1000):
        chunk = ids[first : first + 1000]
        officers = _officers(conn, chunk)
        changes, due = _recomputed(
            conn, chunk, officers, deltas, tz=tz, now=now, bodies_table=bodies_table
        )
        if not footage:
            due = []
        if changes:
            conn.execute(
                update(cs)
                .where(cs.c.case_id == bindparam("key"))
                .values({name: bindparam(name) for name in (*INDEX_COLUMNS, *SHARE_COLUMNS)}),
                changes,
            )
        pairs = [{"case_id": c, "officer_id": o} for c in chunk for o in officers.get(c, ())]
        if pairs:
            conn.execute(t.summary_officers.insert(), pairs)
            if sort_keys:
                fill_copies(conn, chunk)
        if due:
            conn.execute(t.footage_due.insert(), due)
    deltas.write(conn)
    bump(conn)
    ds = t.derived_settings
    upsert = insert(conn, ds).values(name=TIMEZONE, value=tz_name)
    conn.execute(upsert.on_conflict_do_update(index_elements=["name"], set_={"value": tz_name}))
    return len(ids)


def _recomputed(
    conn: Connection,
    chunk: Sequence[str],
    officers: Mapping[str, Sequence[str]],
    deltas: Deltas,
    *,
    tz: tzinfo,
    now: datetime,
    bodies_table: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(index and share columns by ``key``, ``footage_due`` rows) of the summaries of
    ``chunk``, their shares added to ``deltas``."""
    facts = _case_facts(conn, chunk)
    changes: list[dict[str, Any]] = []
    due: list[dict[str, Any]] = []
    summary = bodies.c.summary if bodies_table else literal_column("summary", JSONText())
    columns_read = (cs.c.case_id, cs.c.agency_id, cs.c.section, cs.c.stage, summary)
    source = WITH_BODY if bodies_table else cs
    query = select(*columns_read).select_from(source).where(cs.c.case_id.in_(chunk))
    for row in conn.execute(query).mappings():
        summary, fact = row["summary"], facts[row["case_id"]]
        columns = {
            **index_columns(
                summary, created_by=fact.created_by, confidentiality=fact.confidentiality, tz=tz
            ),
            **share_columns(summary, now),
        }
        deltas.add({**row, **columns}, officers.get(row["case_id"], ()), 1)
        changes.append({"key": row["case_id"], **columns})
        due += footage_rows(row["case_id"], summary)
    return changes, due
