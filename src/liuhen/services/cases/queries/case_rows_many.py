"""The rows of many cases at once (``rows_of_cases``): each of ``case_rows``' statements run
once for a batch of cases (``IN``) instead of once a case, then dealt out case by case. What
each case gets is what ``rows_on`` reads for it alone, in the same order (the same
statements: every ``ORDER BY`` keeps each case's rows in their order within the batch).

For work over every case of a store (the summaries re-judged after a holiday schedule is
loaded, stale summaries caught up): twelve queries a batch, not twelve a case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from liuhen.services.cases.queries.case_rows import (
    DEVICES,
    CaseRows,
    Row,
    approvals_statement,
    files_statement,
    many_cases,
    ordered_statement,
    people_and_devices_named,
    records_statement,
    requests_statement,
    take_approvals,
    take_devices,
    take_requests,
    transitions_statement,
)
from liuhen.store import tables as t

_ORDERED = {
    name: ordered_statement(getattr(t, name), many_cases)
    for name in ("acts", "services", "executions", "case_files", "disposals")
}
_RECORDS = records_statement(many_cases)
_FILES = files_statement(many_cases, t.records.c.case_id.label("of_case"))
_TRANSITIONS = transitions_statement(many_cases)
_APPROVALS = approvals_statement(many_cases)
_REQUESTS = requests_statement(many_cases)
_OFFICERS = (
    select(t.officers)
    .where(
        t.officers.c.id.in_(bindparam("ids", expanding=True))
        | t.officers.c.agency_id.in_(bindparam("agencies", expanding=True))
    )
    .order_by(t.officers.c.created_at, t.officers.c.id)
)
_STAGES = (
    select(t.case_transitions.c.case_id, t.case_transitions.c.stage, t.case_transitions.c.at)
    .where(many_cases(t.case_transitions.c.case_id))
    .order_by(t.case_transitions.c.case_id, t.case_transitions.c.at.desc())
)


def _by_case(found: Iterable[Any], key: str = "case_id") -> dict[str, list[Row]]:
    """``found`` rows grouped by their ``key`` column, each group in ``found``'s order."""
    grouped: dict[str, list[Row]] = defaultdict(list)
    for r in found:
        grouped[r[key]].append(dict(r))
    return grouped


def rows_of_cases(conn: Connection, cases: Sequence[Mapping[str, Any]]) -> dict[str, CaseRows]:
    """``rows_on`` of each of the loaded ``cases`` (``load_cases``), by case id, in twelve
    queries whatever their number.

    Long: one assignment per table of ``CaseRows``, in the order ``rows_on`` reads them."""
    ids = {"case_ids": sorted(str(c["id"]) for c in cases)}
    ordered = {
        name: _by_case(conn.execute(stmt, ids).mappings()) for name, stmt in _ORDERED.items()
    }
    records = _by_case(conn.execute(_RECORDS, ids).mappings())
    files: dict[str, dict[str, list[Row]]] = defaultdict(dict)
    for f in conn.execute(_FILES, ids).mappings():
        row = dict(f)
        files[row.pop("of_case")].setdefault(row["record_id"], []).append(row)
    transitions = _by_case(conn.execute(_TRANSITIONS, ids).mappings())
    approvals = _by_case(conn.execute(_APPROVALS, ids).mappings())
    requests = _by_case(conn.execute(_REQUESTS, ids).mappings())
    out: dict[str, CaseRows] = {}
    for case in cases:
        case_id = str(case["id"])
        approval_rows, steps = take_approvals(approvals.get(case_id, []))
        rows = CaseRows(
            case=dict(case),
            acts=ordered["acts"].get(case_id, []),
            records=records.get(case_id, []),
            files=files.get(case_id, {}),
            approvals=approval_rows,
            steps=steps,
            services=ordered["services"].get(case_id, []),
            executions=ordered["executions"].get(case_id, []),
            case_files=ordered["case_files"].get(case_id, []),
            transitions=transitions.get(case_id, []),
            access_requests=[],
            links=[],
            disposals=ordered["disposals"].get(case_id, []),
            officers=[],
            devices=[],
            device_events={},
        )
        take_requests(rows, requests.get(case_id, []))
        out[case_id] = rows
    _people_and_devices(conn, list(out.values()))
    return out


def _people_and_devices(conn: Connection, batch: list[CaseRows]) -> None:
    """Each case's officers (those it names and all of its agency's) and devices (with
    their events), from two queries for the whole batch."""
    named = {rows.id: people_and_devices_named(rows) for rows in batch}
    officer_ids = sorted({i for officers, _ in named.values() for i in officers})
    agencies = sorted({str(rows.case["agency_id"]) for rows in batch})
    officers = [
        dict(r)
        for r in conn.execute(_OFFICERS, {"ids": officer_ids, "agencies": agencies}).mappings()
    ]
    device_ids = sorted({i for _, devices in named.values() for i in devices})
    by_device = (
        _by_case(conn.execute(DEVICES, {"ids": device_ids}).mappings(), key="id")
        if device_ids
        else {}
    )
    for rows in batch:
        own, own_devices = named[rows.id]
        agency = rows.case["agency_id"]
        rows.officers = [o for o in officers if o["id"] in own or o["agency_id"] == agency]
        if own_devices:  # by device id, each with its events in order, as DEVICES sorts
            take_devices(rows, [r for d in sorted(own_devices) for r in by_device.get(d, [])])


def stages_and_damaged(
    conn: Connection, case_ids: Sequence[str], actions: Iterable[str]
) -> dict[str, tuple[str, int]]:
    """Each case's newest stage ("initiation" if none) and how many of its events are
    ``actions`` (what its summary counts as damage), in two queries."""
    ids = {"case_ids": sorted(case_ids)}
    stages: dict[str, str] = {}
    for case_id, stage, _at in conn.execute(_STAGES, ids):
        stages.setdefault(case_id, str(stage))  # the first of each case is its newest
    events = t.ledger_events.c
    damaged: dict[str, int] = dict(
        conn.execute(
            select(events.case_id, func.count())
            .where(many_cases(events.case_id), events.action.in_(sorted(set(actions))))
            .group_by(events.case_id),
            ids,
        ).all()
    )
    return {c: (stages.get(c, "initiation"), int(damaged.get(c, 0))) for c in case_ids}
