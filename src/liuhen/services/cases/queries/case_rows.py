"""Every row of one case, read once: a fixed number of set-based queries however many acts,
records, versions, files, approvals or requests the case has.

The case page, the bundle the compliance engine reads, and the case page's panels (document
history, AV, case file and retention, party requests) are all built from one ``CaseRows``
in memory, so a page that shows a case reads each of its tables once. The case row itself
comes from the permission check (``load_case``), which has already read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Connection, Select, and_, bindparam, select

from liuhen.services.approvals.model import ApprovalState, state_of
from liuhen.store import tables as t
from liuhen.store.queries.ledger_facts import newest_of_each

if TYPE_CHECKING:
    from liuhen.store.store import Store

Row = dict[str, Any]
STEP = "step_"


@dataclass
class CaseRows:
    """One case's rows, each list in its table's order (created_at, id unless noted)."""

    case: Row  # the cases row with profile_id, agency_name and officer_ids (load_case)
    acts: list[Row]  # filing acts included
    records: list[Row]  # every version of every record; ``author_name`` from users
    files: dict[str, list[Row]]  # record id -> its files by position
    approvals: list[Row]
    steps: dict[str, list[Row]]  # approval id -> its steps by position
    services: list[Row]
    executions: list[Row]
    case_files: list[Row]
    transitions: list[Row]  # by time
    access_requests: list[Row]
    links: list[Row]  # the share links of its requests
    disposals: list[Row]
    officers: list[Row]  # referenced by its acts and records, and all of its agency's
    devices: list[Row]  # referenced by its acts and records, by id
    device_events: dict[str, list[Row]]  # device id -> its events by time
    _states: dict[str, ApprovalState] = field(default_factory=dict, repr=False)
    _ledger: dict[tuple[str, str], Row] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.case["id"])

    def latest_records(self) -> list[Row]:
        """Current versions only (no later version supersedes them)."""
        superseded = {r["supersedes_id"] for r in self.records if r["supersedes_id"]}
        return [r for r in self.records if r["id"] not in superseded]

    def record(self, record_id: str) -> Row | None:
        return next((r for r in self.records if r["id"] == record_id), None)

    def history(self, record_id: str) -> list[Row]:
        """Every version of the record ``record_id`` is one of, oldest first."""
        by_id = {r["id"]: r for r in self.records}
        if record_id not in by_id:
            return []
        chain = [by_id[record_id]]
        while chain[0]["supersedes_id"] in by_id:
            chain.insert(0, by_id[chain[0]["supersedes_id"]])
        newer = {r["supersedes_id"]: r for r in self.records if r["supersedes_id"]}
        while chain[-1]["id"] in newer:
            chain.append(newer[chain[-1]["id"]])
        return chain

    def enforcement_acts(self) -> list[Row]:
        """The acts of the bundle (filing is the case file's, not an enforcement act)."""
        return [a for a in self.acts if a["kind"] != "filing"]

    def approval_state(self, approval_id: str) -> ApprovalState:
        """An approval of this case as ``approvals.queries.approval_state`` reads it."""
        if approval_id not in self._states:
            row = next(a for a in self.approvals if a["id"] == approval_id)
            subject = self.record(row["subject_record_id"]) if row["subject_record_id"] else None
            self._states[approval_id] = state_of(
                row,
                self.steps.get(approval_id, []),
                case_number=self.case["number"],
                case_title=self.case["title"],
                subject_title=subject["title"] if subject else "",
                case_procedure=self.case["procedure"],
                case_profile=self.case.get("profile_id") or "",
            )
        return self._states[approval_id]

    def closed_at(self) -> Any:
        """When the case was closed (its latest closing), or None."""
        closings = [r["at"] for r in self.transitions if r["stage"] == "closed"]
        return max(closings) if closings else None


CASE_ID: BindParameter[str] = bindparam("case_id")
"""The case a statement is about: the statements below are built once, at import, with this
parameter (SQLAlchemy then reuses their memoised cache keys instead of building a statement
and its key for each of a page's queries)."""


CASE_IDS: BindParameter[list[str]] = bindparam("case_ids", expanding=True)
"""The cases a statement of ``case_rows_many`` is about (the same statements, ``IN``)."""


def one_case(column: Any) -> Any:
    return column == CASE_ID


def many_cases(column: Any) -> Any:
    return column.in_(CASE_IDS)


@cache
def ordered_statement(table: Any, match: Callable[[Any], Any] = one_case) -> Select[Any]:
    return select(table).where(match(table.c.case_id)).order_by(table.c.created_at, table.c.id)


def _ordered(conn: Connection, table: Any, case_id: str) -> list[Row]:
    return [
        dict(r) for r in conn.execute(ordered_statement(table), {"case_id": case_id}).mappings()
    ]


def records_statement(match: Callable[[Any], Any]) -> Select[Any]:
    return (
        select(t.records, t.users.c.display_name.label("author_name"))
        .outerjoin(t.users, t.users.c.id == t.records.c.created_by)
        .where(match(t.records.c.case_id))
        .order_by(t.records.c.created_at, t.records.c.id)
    )


def files_statement(match: Callable[[Any], Any], *extra: Any) -> Select[Any]:
    return (
        select(t.record_files, *extra)
        .join(t.records, t.records.c.id == t.record_files.c.record_id)
        .where(match(t.records.c.case_id))
        .order_by(t.record_files.c.record_id, t.record_files.c.position)
    )


def transitions_statement(match: Callable[[Any], Any]) -> Select[Any]:
    return (
        select(t.case_transitions)
        .where(match(t.case_transitions.c.case_id))
        .order_by(t.case_transitions.c.at, t.case_transitions.c.id)
    )


_RECORDS = records_statement(one_case)
_FILES = files_statement(one_case)
_TRANSITIONS = transitions_statement(one_case)


def referenced(acts: list[Row], records: list[Row], *keys: str) -> set[str]:
    """Every id found under ``keys`` anywhere in the acts and records (signatures included)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in keys:
                    found.update(item if isinstance(item, list) else [item])
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for row in acts:
        walk({"officer_ids": row["officer_ids"]})
        walk(row["details"])
    for row in records:
        walk(row["details"])
    found.discard(None)
    return found


def load_rows(store: Store, case: Mapping[str, Any]) -> CaseRows:
    """The rows of the loaded ``case`` (``load_case``), twelve queries on one connection."""
    with store.read() as conn:
        return rows_on(conn, case)


def rows_on(conn: Connection, case: Mapping[str, Any]) -> CaseRows:
    """``load_rows`` on ``conn`` (a transaction's: what it decides on is what it read)."""
    case_id = str(case["id"])
    acts = _ordered(conn, t.acts, case_id)
    by_case = {"case_id": case_id}
    records = [dict(r) for r in conn.execute(_RECORDS, by_case).mappings()]
    files: dict[str, list[Row]] = {}
    for f in conn.execute(_FILES, by_case).mappings():
        files.setdefault(f["record_id"], []).append(dict(f))
    approvals, steps = _approvals(conn, case_id)
    rows = CaseRows(
        case=dict(case),
        acts=acts,
        records=records,
        files=files,
        approvals=approvals,
        steps=steps,
        services=_ordered(conn, t.services, case_id),
        executions=_ordered(conn, t.executions, case_id),
        case_files=_ordered(conn, t.case_files, case_id),
        transitions=[dict(r) for r in conn.execute(_TRANSITIONS, by_case).mappings()],
        access_requests=[],
        links=[],
        disposals=_ordered(conn, t.disposals, case_id),
        officers=[],
        devices=[],
        device_events={},
    )
    _requests_and_links(conn, rows)
    _people_and_devices(conn, rows)
    return rows


def requests_statement(match: Callable[[Any], Any]) -> Select[Any]:
    return (
        select(t.access_requests, *[c.label("link_" + c.name) for c in t.share_links.c])
        .outerjoin(t.share_links, t.share_links.c.request_id == t.access_requests.c.id)
        .where(match(t.access_requests.c.case_id))
        .order_by(
            t.access_requests.c.created_at,
            t.access_requests.c.id,
            t.share_links.c.created_at,
            t.share_links.c.id,
        )
    )


_REQUESTS_AND_LINKS = requests_statement(one_case)


def _requests_and_links(conn: Connection, rows: CaseRows) -> None:
    """The case's party requests and their share links, in one query."""
    take_requests(rows, conn.execute(_REQUESTS_AND_LINKS, {"case_id": rows.id}).mappings())


def take_requests(rows: CaseRows, found: Iterable[Any]) -> None:
    """``_REQUESTS_AND_LINKS``' rows of ``rows``' case into ``rows``."""
    requests: dict[str, Row] = {}
    for r in found:
        request = {k: v for k, v in r.items() if not k.startswith("link_")}
        requests.setdefault(request["id"], request)
        if r["link_id"] is not None:
            rows.links.append(
                {k.removeprefix("link_"): v for k, v in r.items() if k.startswith("link_")}
            )
    rows.access_requests = list(requests.values())
    rows.links.sort(key=lambda link: (link["created_at"], link["id"]))


LEDGER_FACTS = (
    "case.four_properties_checked",  # the 四性检测 reports (archiving)
    "access.copy_failed",  # a party's copies that could not be made (access)
    "access.viewed",  # a granted view given
    "share.downloaded",  # a share link's uses
    "share.revoked",
    "case.gate_overridden",  # the head's overrides of a gate (services/cases/gates)
)
"""What the case page reads from the ledger about a case, all in one query."""


_EVENTS = t.ledger_events.c
_LEDGER_FACTS = newest_of_each(
    and_(_EVENTS.case_id == bindparam("case_id"), _EVENTS.action.in_(LEDGER_FACTS)),
    _EVENTS.payload,
    _EVENTS.occurred_at,
    _EVENTS.actor_label,
)
"""The newest event of each (action, subject) of ``LEDGER_FACTS`` in the case ``case_id``,
with how many there are: built once (the case page asks on every view)."""


def ledger_facts(store: Store, rows: CaseRows) -> dict[tuple[str, str], Row]:
    """(action, subject id) -> ``count``, ``seq``, ``payload``, ``at`` and ``actor`` (label)
    of the newest such event of the case, for the actions of ``LEDGER_FACTS`` (one query,
    read once per ``rows``)."""
    if rows._ledger is None:
        with store.read() as conn:
            found = conn.execute(_LEDGER_FACTS, {"case_id": rows.id}).all()
        rows._ledger = {
            (str(action), str(subject)): {
                "count": int(n),
                "seq": int(seq),
                "payload": payload,
                "at": at,
                "actor": actor,
            }
            for action, subject, seq, n, payload, at, actor in found
        }
    return rows._ledger


def approvals_statement(match: Callable[[Any], Any]) -> Select[Any]:
    return (
        select(t.approvals, *[c.label(STEP + c.name) for c in t.approval_steps.c])
        .outerjoin(t.approval_steps, t.approval_steps.c.approval_id == t.approvals.c.id)
        .where(match(t.approvals.c.case_id))
        .order_by(t.approvals.c.created_at, t.approvals.c.id, t.approval_steps.c.position)
    )


_APPROVALS = approvals_statement(one_case)


def _approvals(conn: Connection, case_id: str) -> tuple[list[Row], dict[str, list[Row]]]:
    """The case's approvals and their steps, in one query."""
    return take_approvals(conn.execute(_APPROVALS, {"case_id": case_id}).mappings())


def take_approvals(found: Iterable[Any]) -> tuple[list[Row], dict[str, list[Row]]]:
    """``_APPROVALS``' rows of one case as its approvals and their steps."""
    approvals: dict[str, Row] = {}
    steps: dict[str, list[Row]] = {}
    for r in found:
        approval = {k: v for k, v in r.items() if not k.startswith(STEP)}
        approvals.setdefault(approval["id"], approval)
        if r[STEP + "id"] is not None:
            steps.setdefault(approval["id"], []).append(
                {k.removeprefix(STEP): v for k, v in r.items() if k.startswith(STEP)}
            )
    return list(approvals.values()), steps


_OFFICERS = (
    select(t.officers)
    .where(
        t.officers.c.id.in_(bindparam("ids", expanding=True))
        | (t.officers.c.agency_id == bindparam("agency_id"))
    )
    .order_by(t.officers.c.created_at, t.officers.c.id)
)
DEVICES = (
    select(t.devices, *[c.label("event_" + c.name) for c in t.device_events.c])
    .outerjoin(t.device_events, t.device_events.c.device_id == t.devices.c.id)
    .where(t.devices.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(t.devices.c.id, t.device_events.c.at, t.device_events.c.id)
)


def _people_and_devices(conn: Connection, rows: CaseRows) -> None:
    """The officers and devices the bundle names, with the devices' events."""
    officer_ids, device_ids = people_and_devices_named(rows)
    params = {"ids": sorted(officer_ids), "agency_id": rows.case["agency_id"]}
    rows.officers = [dict(r) for r in conn.execute(_OFFICERS, params).mappings()]
    if device_ids:
        take_devices(rows, conn.execute(DEVICES, {"ids": sorted(device_ids)}).mappings())


def people_and_devices_named(rows: CaseRows) -> tuple[set[str], set[str]]:
    """The officer ids and the device ids the case's acts and current records name."""
    acts, latest = rows.enforcement_acts(), rows.latest_records()
    return referenced(acts, latest, "officer_ids", "officer_id"), referenced(
        acts, latest, "device_id"
    )


def take_devices(rows: CaseRows, found: Iterable[Any]) -> None:
    """``DEVICES``' rows (devices with their events, by device id) into ``rows``."""
    devices: dict[str, Row] = {}
    for r in found:
        device = {k: v for k, v in r.items() if not k.startswith("event_")}
        devices.setdefault(device["id"], device)
        if r["event_id"] is not None:
            rows.device_events.setdefault(device["id"], []).append(
                {k.removeprefix("event_"): v for k, v in r.items() if k.startswith("event_")}
            )
    rows.devices = list(devices.values())
