"""Loading a case the way the permission check needs it, once: the case row with its
agency's facts and the officers on its acts (``load_case``, one query); the case a row of
another table belongs to (``owner_case``); the officers of many cases for lists; what stands
in for the case of footage no case holds (``footage_scope``).

``services/permissions.py`` re-exports these; it decides, this module only reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, or_, select

from liuhen.errors import NotFound
from liuhen.store import tables as t

if TYPE_CHECKING:
    from liuhen.store.store import Store


def case_officers(store: Store, case_ids: list[str] | None = None) -> dict[str, set[str]]:
    """Case id -> the officer ids recorded on any of its acts."""
    query = select(t.acts.c.case_id, t.acts.c.officer_ids)
    if case_ids is not None:
        query = query.where(t.acts.c.case_id.in_(case_ids))
    found: dict[str, set[str]] = {}
    with store.read() as conn:
        for case_id, officer_ids in conn.execute(query):
            found.setdefault(case_id, set()).update(officer_ids or ())
    return found


def _case_query() -> Any:
    """Cases with their agency's facts, one row per act (the act's officers)."""
    return (
        select(
            t.cases,
            t.agencies.c.profile_id,
            t.agencies.c.name.label("agency_name"),
            t.acts.c.officer_ids.label("act_officer_ids"),
        )
        .join(t.agencies, t.agencies.c.id == t.cases.c.agency_id)
        .outerjoin(t.acts, t.acts.c.case_id == t.cases.c.id)
    )


def _fold(rows: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """One case dict per case id from ``_case_query`` rows, with ``officer_ids``."""
    cases: dict[str, dict[str, Any]] = {}
    officers: dict[str, set[str]] = {}
    for r in rows:
        if r["id"] not in cases:
            cases[r["id"]] = {k: v for k, v in r.items() if k != "act_officer_ids"}
            officers[r["id"]] = set()
        officers[r["id"]].update(r["act_officer_ids"] or ())
    for case_id, case in cases.items():
        case["officer_ids"] = sorted(officers[case_id])
    return cases


_BY_ID = _case_query().where(t.cases.c.id == bindparam("case_id"))
_BY_REF = _case_query().where(
    or_(t.cases.c.id == bindparam("case_id"), t.cases.c.number == bindparam("case_id"))
)
"""``load_case``'s statements, built once (building the join took longer than running it)."""


def load_case(store: Store, case_id: str, *, by_number: bool = False) -> dict[str, Any]:
    """The case row with what ``require`` needs to decide and what its pages need of its
    agency, in one query: ``officer_ids`` (every officer on any of its acts), ``profile_id``
    and ``agency_name``. ``by_number``: ``case_id`` may also be the case number. NotFound
    if none."""
    with store.read() as conn:
        found = _fold(
            conn.execute(_BY_REF if by_number else _BY_ID, {"case_id": case_id}).mappings()
        )
    if not found:
        what = "编号或标识" if by_number else "标识"
        raise NotFound(f"CASE: 没有{what}为 {case_id} 的案件")
    if len(found) > 1:  # a number that is also another case's id
        return found[case_id]
    return next(iter(found.values()))


def load_cases(store: Store, case_ids: Iterable[str]) -> list[dict[str, Any]]:
    """``load_case`` of many cases in one query (those that exist, in no set order)."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return []
    with store.read() as conn:
        found = _fold(conn.execute(_case_query().where(t.cases.c.id.in_(wanted))).mappings())
    return list(found.values())


def owner_case(store: Store, table: str, row_id: str, noun: str) -> str | None:
    """The case a row of ``table`` belongs to (None: footage no case holds yet); NotFound
    naming ``noun`` when there is no such row."""
    with store.read() as conn:
        row = conn.execute(_owner_statement(table), {"row_id": row_id}).first()
    if row is None:
        raise NotFound(f"{table[:-1]}: {noun} {row_id} 不存在")
    return None if row[0] is None else str(row[0])


@cache
def _owner_statement(table: str) -> Any:
    """``owner_case``'s statement for ``table``, built once."""
    tbl = t.metadata.tables[table]
    return select(tbl.c.case_id).where(tbl.c.id == bindparam("row_id"))


def footage_scope(store: Store, record_id: str) -> dict[str, Any]:
    """What stands in for the case of a record no case holds (footage not yet linked): see
    ``footage_facts``; empty when there is no such record (the caller answers NotFound)."""
    with store.read() as conn:
        row = conn.execute(
            select(t.records.c.title, t.records.c.details, t.records.c.created_by).where(
                t.records.c.id == record_id
            )
        ).first()
        if row is None:
            return {}
        details = row.details or {}
        device_agency = conn.execute(
            select(t.devices.c.agency_id).where(t.devices.c.id == str(details.get("device_id")))
        ).scalar()
        uploader_agency = conn.execute(
            select(t.users.c.agency_id).where(t.users.c.id == row.created_by)
        ).scalar()
    return footage_facts(row.title, details, row.created_by, device_agency, uploader_agency)


def footage_facts(
    title: str,
    details: Mapping[str, Any],
    created_by: str,
    device_agency: str | None,
    uploader_agency: str | None,
) -> dict[str, Any]:
    """The case-like facts ``require`` reads for footage no case holds: its agency (of its
    registered device, else the agency that received it, ``details.agency_id``, else of
    the user who stored it), its uploader as ``created_by`` and its officer. Footage whose
    agency nobody knows (stored before agencies were recorded, by the server's operator)
    belongs to no agency: only its uploader and the grants over every agency reach it."""
    agency = device_agency or details.get("agency_id") or uploader_agency
    officer = details.get("officer_id")
    return {
        "id": None,
        "number": f"未关联案件的《{title}》",
        "agency_id": agency,
        "section": "",
        "created_by": created_by,
        "officer_ids": [officer] if officer else [],
    }
