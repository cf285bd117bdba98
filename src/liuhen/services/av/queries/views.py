"""What the AV pages show: a record with its device, officer, act and the act's footage; a
case's footage with its files; unlinked footage and what judging it needs; who read files."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from liuhen.services.av.queries.records import (
    act_footage,
    current_rows,
    latest_where,
    newer_version_id,
    record_files,
)
from liuhen.store import tables as t
from liuhen.store.store import Store

_UNLINKED = latest_where((t.records.c.kind == "av") & t.records.c.case_id.is_(None))
_UNLINKED_SINCE = latest_where(
    (t.records.c.kind == "av")
    & t.records.c.case_id.is_(None)
    & (t.records.c.created_at >= bindparam("since"))
)


def unlinked_av_rows(store: Store, since: datetime | None = None) -> list[dict[str, Any]]:
    """The latest versions of the AV records that no case holds; with ``since``, only those
    stored since then (the case page's offers: footage is stored after its recording ends,
    so footage stored before a case's acts began was not recorded during them, and a
    county's backlog of unlinked footage is not read and decoded on every case page). The
    statements are built once, their cache keys computed once."""
    with store.read() as conn:
        if since is None:
            return [dict(r) for r in conn.execute(_UNLINKED).mappings()]
        return [dict(r) for r in conn.execute(_UNLINKED_SINCE, {"since": since}).mappings()]


def act_and_footage(
    store: Store, act_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """An act and the latest versions of its AV records; None when there is no such act."""
    with store.read() as conn:
        act = conn.execute(select(t.acts).where(t.acts.c.id == act_id)).mappings().first()
        if act is None:
            return None
        return dict(act), act_footage(conn, act_id)


@dataclass(frozen=True)
class AvPageRows:
    """One AV record's rows for its page."""

    record: dict[str, Any]
    files: list[dict[str, Any]]
    device: dict[str, Any] | None
    officer_name: str | None
    act: dict[str, Any] | None
    newer_id: str | None
    footage: list[dict[str, Any]]  # the latest AV records of its act


def av_page_rows(store: Store, record_id: str) -> AvPageRows | None:
    """An AV record with its files, device, officer's name, act, the id of the version after
    it and its act's footage; None when there is no such AV record."""
    with store.read() as conn:
        rec = conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().first()
        if rec is None or rec["kind"] != "av":
            return None
        files = record_files(conn, record_id)
        details = rec["details"]
        device = (
            conn.execute(select(t.devices).where(t.devices.c.id == details.get("device_id")))
            .mappings()
            .first()
        )
        officer = conn.execute(
            select(t.officers.c.name).where(t.officers.c.id == details.get("officer_id"))
        ).scalar()
        act = (
            conn.execute(select(t.acts).where(t.acts.c.id == rec["act_id"])).mappings().first()
            if rec["act_id"]
            else None
        )
        newer = newer_version_id(conn, record_id)
        footage = act_footage(conn, act["id"]) if act is not None else []
    return AvPageRows(
        record=dict(rec),
        files=files,
        device=dict(device) if device else None,
        officer_name=officer,
        act=dict(act) if act else None,
        newer_id=newer,
        footage=footage,
    )


def case_footage(store: Store, case_id: str) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """The latest versions of a case's AV records, and their files by record (by position)."""
    with store.read() as conn:
        rows = current_rows(conn, (t.records.c.kind == "av") & (t.records.c.case_id == case_id))
        files: dict[str, list[Any]] = {r["id"]: [] for r in rows}
        if rows:
            for f in conn.execute(
                select(t.record_files)
                .where(t.record_files.c.record_id.in_(list(files)))
                .order_by(t.record_files.c.record_id, t.record_files.c.position)
            ).mappings():
                files[f["record_id"]].append(dict(f))
    return rows, files


def file_reads_of_versions(
    store: Store, record_id: str, also: Collection[str], limit: int
) -> list[dict[str, Any]]:
    """The ``record.file_read`` events (seq, occurred_at, actor_label, subject_id, payload),
    newest first, of ``record_id``, the versions before it and the ids in ``also``."""
    ids = {record_id, *also}
    with store.read() as conn:
        cursor: str | None = record_id
        while cursor is not None:  # older versions
            cursor = conn.execute(
                select(t.records.c.supersedes_id).where(t.records.c.id == cursor)
            ).scalar()
            if cursor is not None:
                ids.add(str(cursor))
        rows = conn.execute(
            select(
                t.ledger_events.c.seq,
                t.ledger_events.c.occurred_at,
                t.ledger_events.c.actor_label,
                t.ledger_events.c.subject_id,
                t.ledger_events.c.payload,
            )
            .where(
                t.ledger_events.c.action == "record.file_read",
                t.ledger_events.c.subject_type == "record",
                t.ledger_events.c.subject_id.in_(ids),
            )
            .order_by(t.ledger_events.c.seq.desc())
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]


@dataclass(frozen=True)
class FileReads:
    """The latest ``record.file_read`` events with the records they name and their cases'
    numbers."""

    events: list[dict[str, Any]]
    records: dict[str, dict[str, Any]]  # id, title, kind, case_id by record id
    numbers: dict[str, str]  # case number by case id


def recent_file_reads(store: Store, limit: int) -> FileReads:
    """The ``limit`` latest file reads on the ledger, newest first, with their records."""
    with store.read() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                select(t.ledger_events)
                .where(t.ledger_events.c.action == "record.file_read")
                .order_by(t.ledger_events.c.seq.desc())
                .limit(limit)
            ).mappings()
        ]
        record_ids = {r["subject_id"] for r in rows}
        records = {
            r["id"]: dict(r)
            for r in conn.execute(
                select(
                    t.records.c.id, t.records.c.title, t.records.c.kind, t.records.c.case_id
                ).where(t.records.c.id.in_(record_ids))
            ).mappings()
        }
        case_ids = {r["case_id"] for r in records.values() if r["case_id"]}
        numbers = dict(
            conn.execute(
                select(t.cases.c.id, t.cases.c.number).where(t.cases.c.id.in_(case_ids))
            ).all()
        )
    return FileReads(rows, records, numbers)


@dataclass(frozen=True)
class UnlinkedLookups:
    """What judging unlinked footage looks up: agencies' profiles, the first agency,
    devices, officers' names, users' agencies and who uploaded each record."""

    profiles: dict[str, str | None]  # profile id by agency id
    first_agency: str | None
    devices: dict[str, dict[str, Any]]
    officers: dict[str, str]
    user_agencies: dict[str, str | None]
    uploaders: dict[str, str]  # created_by by record id


def unlinked_lookups(store: Store, record_ids: list[str]) -> UnlinkedLookups:
    """The lookups for judging the unlinked records ``record_ids``."""
    with store.read() as conn:
        agencies = {a: p for a, p in conn.execute(select(t.agencies.c.id, t.agencies.c.profile_id))}
        first = conn.execute(select(t.agencies.c.id).order_by(t.agencies.c.created_at)).scalar()
        devices = {d["id"]: dict(d) for d in conn.execute(select(t.devices)).mappings()}
        officers = dict(conn.execute(select(t.officers.c.id, t.officers.c.name)).all())
        users = dict(conn.execute(select(t.users.c.id, t.users.c.agency_id)).all())
        uploaders = dict(
            conn.execute(
                select(t.records.c.id, t.records.c.created_by).where(t.records.c.id.in_(record_ids))
            ).all()
        )
    return UnlinkedLookups(agencies, first, devices, officers, users, uploaders)
